import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../context';
import type { Logger } from '../logger';
import { ApiTokenScope, type ApiTokenService } from '../services/api-token.service';
import type { AuthService } from '../services/auth.service';
import { isApiToken } from '../services/credentials';
import { tokenFromRequest } from './credentials';
import { requestOrigin, type OriginPolicy } from './origin';

export interface RequestContextSettings {
  /** PUBLIC_URL: when set, the base of every URL whatever the request says. */
  publicUrl: string | null;
  /** The base when neither PUBLIC_URL nor the request names one (and for background work). */
  fallbackUrl: string;
  origins: OriginPolicy;
}

/** Builds the context of one request, resolving its caller from the token it carries. */
export class RequestContextFactory {
  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: AuthService,
    private readonly apiTokens: ApiTokenService,
    private readonly logger: Logger,
    private readonly settings: RequestContextSettings,
  ) {}

  /** A context for work no request asked for (the storage sweeper). */
  background(): RequestContext {
    return {
      requestId: 'background',
      caller: null,
      uploader: null,
      refusedToken: false,
      ip: null,
      baseUrl: this.settings.publicUrl ?? this.settings.fallbackUrl,
      userAgent: null,
      log: this.logger,
      manager: this.dataSource.manager,
      transaction: null,
    };
  }

  /**
   * `token` overrides the request's own credentials; legacy doors pass the one from the body.
   */
  async create(
    request: Request,
    token: string | null = tokenFromRequest(request, this.settings.origins),
  ): Promise<RequestContext> {
    const anonymous: RequestContext = {
      requestId: request.id,
      caller: null,
      uploader: null,
      refusedToken: false,
      ip: request.ip ?? null,
      baseUrl: this.settings.publicUrl ?? requestOrigin(request) ?? this.settings.fallbackUrl,
      userAgent: request.get('user-agent') ?? null,
      log: request.log,
      manager: this.dataSource.manager,
      transaction: null,
    };
    if (!token) return anonymous;
    if (!isApiToken(token)) {
      const caller = await this.auth.authenticate(anonymous, token);
      return { ...anonymous, caller, uploader: caller, refusedToken: caller === null };
    }
    const credential = await this.apiTokens.authenticate(anonymous, token);
    // An UPLOAD token is no caller: whatever is not marked for uploads treats it as signed out.
    const caller = credential?.scope === ApiTokenScope.FULL ? credential.caller : null;
    return { ...anonymous, caller, uploader: credential?.caller ?? null, refusedToken: credential === null };
  }
}
