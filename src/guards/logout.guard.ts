import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { CookieRequest } from '../http/http.types.js';
import type { RefreshPrincipal, SessionPrincipal } from '../tokens/token.types.js';
import { SessionVerifier } from './session-verifier.js';

/** Guard of `POST /auth/logout`: a live access token, or else a valid refresh token. */
@Injectable()
export class LogoutGuard implements CanActivate {
  constructor(private readonly verifier: SessionVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<CookieRequest & { user?: SessionPrincipal | RefreshPrincipal }>();
    request.user = await this.verifier.authenticateLogout(request);
    return true;
  }
}
