import type { KeyValueCache } from '../cache/key-value.cache';
import { AuthService } from './auth.service';

export interface ServiceDependencies {
  cache: KeyValueCache;
}

export interface Services {
  auth: AuthService;
}

export function createServices(dependencies: ServiceDependencies): Services {
  return {
    auth: new AuthService(dependencies.cache),
  };
}
