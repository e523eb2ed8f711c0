import type { ContainerType } from 'type-graphql';
import type { Services } from '../services';
import { AuthResolver } from './auth.resolver';

export const resolverClasses = [AuthResolver] as const;

/** Hands type-graphql one resolver instance per class, each built with the services it needs. */
export function createResolverContainer(services: Services): ContainerType {
  const instances = new Map<unknown, object>([[AuthResolver, new AuthResolver(services.auth)]]);
  return {
    get(resolverClass) {
      const instance = instances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for resolver ${String(resolverClass)}`);
      return instance;
    },
  };
}
