import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SessionGuardOptions } from '../config/resolved-config.js';
import { InjectSessionOptions } from '../decorators/inject-session-options.decorator.js';
import { requestOf } from '../http/execution-context-request.js';
import type { CookieRequest, SessionCredential } from '../http/http.types.js';
import type { SessionPrincipal } from '../tokens/token.types.js';
import { RoutePolicy } from './route-policy.js';
import { SessionVerifier, type VerifierSteps } from './session-verifier.js';

/**
 * Lets a request through when it carries a valid access token (Bearer header or access cookie,
 * never query or body) whose session is still live; `@CurrentSession()` then gives its
 * principal. Routes marked `@Public()` pass untouched, so it can be installed globally with
 * `{ provide: APP_GUARD, useExisting: AccessGuard }`. Also enforces `@Roles()` and
 * `@RequireFreshSession()` (403). Works on HTTP, GraphQL resolvers and WebSocket gateways.
 *
 * Meant to be extended: `getRequest`, `extractToken` and `validate` are hooks; the options the
 * module reads requests with are `this.options`.
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @Get('me') me(@CurrentSession() session: SessionPrincipal) { return session; }
 * ```
 */
@Injectable()
export class AccessGuard implements CanActivate {
  // A property, so that a subclass's own constructor need not know the pipeline.
  @Inject(SessionVerifier) private readonly verifier!: SessionVerifier;
  private readonly policy: RoutePolicy;
  private readonly steps: VerifierSteps<Promise<SessionPrincipal>> = {
    extractToken: (request) => this.extractToken(request),
    validate: (token) => this.validate(token),
  };

  constructor(
    @InjectSessionOptions() protected readonly options: SessionGuardOptions,
    protected readonly reflector: Reflector,
  ) {
    this.policy = new RoutePolicy(reflector);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // @Public() opens the route, unless it asks for a fresh session (see RoutePolicy).
    if (this.policy.isPublic(context)) return true;
    const request = this.getRequest(context);
    const principal = await this.verifier.authenticate(request, this.steps);
    request.user = principal;
    this.policy.enforce(context, principal);
    return true;
  }

  /** The request: HTTP, a GraphQL context's `req`, or a socket's handshake (see `requestOf`). */
  protected getRequest(context: ExecutionContext): CookieRequest & { user?: SessionPrincipal } {
    return requestOf(context);
  }

  /**
   * The access token and where it came from: Bearer header, else the access cookie. Return
   * `source: 'cookie'` for any credential a browser sends by itself: it gets the same-site check.
   */
  protected extractToken(request: CookieRequest): SessionCredential | undefined {
    return this.verifier.extractAccess(request);
  }

  /**
   * The principal of a valid token whose session is live, with the role, claims and last
   * credential check stored with the session now; throws 401 (or 503) otherwise.
   */
  protected validate(token: string): Promise<SessionPrincipal> {
    return this.verifier.validateAccess(token);
  }
}
