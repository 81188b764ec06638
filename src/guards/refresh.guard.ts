import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { SessionGuardOptions } from '../config/resolved-config.js';
import { InjectSessionOptions } from '../decorators/inject-session-options.decorator.js';
import type { CookieRequest, SessionCredential } from '../http/http.types.js';
import type { RefreshPrincipal } from '../tokens/token.types.js';
import { SessionVerifier, type VerifierSteps } from './session-verifier.js';

/**
 * Lets a request through when it carries a valid refresh token (cookie, or JSON body when
 * `acceptFromBody` is on) and leaves a `RefreshPrincipal` on `request.user`. It verifies the
 * token only; rotation and reuse detection happen in `SessionService.refresh()`. A
 * cookie-carried token from another site is refused with 403.
 */
@Injectable()
export class RefreshGuard implements CanActivate {
  @Inject(SessionVerifier) private readonly verifier!: SessionVerifier;
  private readonly steps: VerifierSteps<RefreshPrincipal> = {
    extractToken: (request) => this.extractToken(request),
    validate: (token) => this.verifier.refreshSteps.validate(token),
  };

  constructor(@InjectSessionOptions() protected readonly options: SessionGuardOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = this.getRequest(context);
    request.user = this.verifier.authenticateRefresh(request, this.steps);
    return true;
  }

  /** The request (override for other transports). */
  protected getRequest(context: ExecutionContext): CookieRequest & { user?: RefreshPrincipal } {
    return context.switchToHttp().getRequest();
  }

  /** The refresh token and where it came from: its cookie, else the JSON body when allowed. */
  protected extractToken(request: CookieRequest): SessionCredential | undefined {
    return this.verifier.extractRefresh(request);
  }
}
