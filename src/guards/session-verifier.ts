import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import type { CookieRequest, SessionCredential } from '../http/http.types.js';
import {
  accessCredential,
  readCookie,
  refreshCredential,
  type CredentialSources,
} from '../http/request-credentials.js';
import { assertSameSite, type SameSitePolicy } from '../http/same-site.js';
import { SessionUnauthorizedException } from '../session.exceptions.js';
import { SessionRepository } from '../store/session.repository.js';
import { TokenService } from '../tokens/token.service.js';
import type { RefreshPrincipal, SessionPrincipal } from '../tokens/token.types.js';

/** The steps of the pipeline a guard may replace (its `extractToken` and `validate` hooks). */
export interface VerifierSteps<T> {
  extractToken(request: CookieRequest): SessionCredential | undefined;
  validate(token: string): T;
}

/**
 * The one pipeline every guard composes, in one order: extract the token (Bearer, else cookie) ->
 * the same-site rule (for a cookie credential) -> verify the token -> read the live session.
 * Route policy (`@Public`, `@Roles`, `@RequireFreshSession`) is the guards' last step
 * (`RoutePolicy`). Internal: apps use the guards, the WebSocket service or the passport subpath.
 */
@Injectable()
export class SessionVerifier {
  private readonly sources: CredentialSources;
  private readonly sameSite: SameSitePolicy;
  /** The default steps, for callers without hooks of their own. */
  readonly accessSteps: VerifierSteps<Promise<SessionPrincipal>>;
  readonly refreshSteps: VerifierSteps<RefreshPrincipal>;

  constructor(
    @Inject(SESSION_CONFIG) config: ResolvedSessionConfig,
    private readonly tokens: TokenService,
    private readonly store: SessionRepository,
  ) {
    this.sources = { cookies: config.cookies, refreshFromBody: config.refresh.acceptFromBody };
    this.sameSite = { allowedOrigins: config.allowedOrigins, secureCookies: config.cookies.secure };
    this.accessSteps = {
      extractToken: (request) => this.extractAccess(request),
      validate: (token) => this.validateAccess(token),
    };
    this.refreshSteps = {
      extractToken: (request) => this.extractRefresh(request),
      validate: (token) => this.tokens.verifyRefresh(token),
    };
  }

  /** The caller of a request with an access token: 401, 403 (cross-site) or 503 otherwise. */
  async authenticate(
    request: CookieRequest,
    steps: VerifierSteps<Promise<SessionPrincipal>> = this.accessSteps,
  ): Promise<SessionPrincipal> {
    const credential = steps.extractToken(request);
    assertSameSite(request, credential, this.sameSite);
    if (!credential) throw new SessionUnauthorizedException();
    return steps.validate(credential.token);
  }

  /** The verified refresh token of a request (no store read: rotation is the store's). */
  authenticateRefresh(
    request: CookieRequest,
    steps: VerifierSteps<RefreshPrincipal> = this.refreshSteps,
  ): RefreshPrincipal {
    const credential = steps.extractToken(request);
    assertSameSite(request, credential, this.sameSite);
    if (!credential) throw new SessionUnauthorizedException();
    return steps.validate(credential.token);
  }

  /**
   * The session a logout ends: the caller's live access token when it has one, else its refresh
   * token (a browser whose access cookie has expired). The same-site rule follows whichever
   * credential is used: an `Authorization` header that is no valid Bearer token (Basic, say,
   * which browsers attach by themselves) never lets a cross-site refresh cookie through.
   */
  async authenticateLogout(request: CookieRequest): Promise<SessionPrincipal | RefreshPrincipal> {
    if (this.extractAccess(request)) {
      try {
        return await this.authenticate(request);
      } catch (error) {
        if (!isUnauthorized(error)) throw error;
      }
    }
    return this.authenticateRefresh(request);
  }

  /** The access token: `Authorization: Bearer`, else the access cookie. */
  extractAccess(request: CookieRequest): SessionCredential | undefined {
    return accessCredential(request, this.sources);
  }

  /** The refresh token: its cookie, else the JSON body when `acceptFromBody` is on. */
  extractRefresh(request: CookieRequest): SessionCredential | undefined {
    return refreshCredential(request, this.sources);
  }

  /**
   * The principal of a valid access token whose session is live, with the role, claims and last
   * credential check stored with the session now (one store read, or none from the cache).
   */
  async validateAccess(token: string): Promise<SessionPrincipal> {
    const verified = this.tokens.checkedAccess(token);
    const live = await this.store.readLive(verified.sessionId, Date.now());
    if (!live) throw new SessionUnauthorizedException();
    // New objects: the verified token and a cached live view are shared, and handlers keep
    // (and may change) their principal.
    return {
      userId: verified.userId,
      sessionId: verified.sessionId,
      role: live.role,
      claims: { ...live.claims },
      accessTokenExpiresAt: new Date(verified.expiresAtMs),
      authenticatedAt: new Date(live.authenticatedAt),
    };
  }

  /**
   * The session of a genuine session cookie on the request, if any (a forged one counts for
   * nothing): what a new login on this browser replaces.
   */
  presentedSessionId(request: CookieRequest | undefined): string | undefined {
    const { cookies } = this.sources;
    if (!request || !cookies.enabled) return undefined;
    const refresh = readCookie(request, cookies.refreshName);
    const access = readCookie(request, cookies.accessName);
    try {
      if (refresh) return this.tokens.verifyRefresh(refresh).sessionId;
      if (access) return this.tokens.verifyAccess(access).sessionId;
    } catch {
      // Not a genuine token of ours: there is no session to end.
    }
    return undefined;
  }
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof HttpException && error.getStatus() === HttpStatus.UNAUTHORIZED;
}
