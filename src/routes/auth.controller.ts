import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Inject,
  Injectable,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import { Public } from '../decorators/public.decorator.js';
import { AccessGuard } from '../guards/access.guard.js';
import { LogoutGuard } from '../guards/logout.guard.js';
import { RefreshGuard } from '../guards/refresh.guard.js';
import type { CookieRequest, CookieResponse } from '../http/http.types.js';
import { SessionCookies } from '../http/session-cookies.js';
import { SessionNotFoundException, SessionUnauthorizedException } from '../session.exceptions.js';
import { SessionService } from '../session.service.js';
import { parseSessionId } from '../store/session-id.js';
import type { RefreshPrincipal, SessionPrincipal } from '../tokens/token.types.js';
import {
  toListItem,
  toRefreshResponse,
  type RefreshResponse,
  type SessionListItem,
} from './auth.responses.js';

/**
 * The session routes of the HTTP contract: refresh, logout, logout-all, list and revoke sessions.
 * A thin layer over `SessionService`; mounted under the route prefix by `createAuthController`.
 * Refresh and logout are `@Public()`: their own guards authenticate them with the refresh token,
 * so an app-wide `AccessGuard` (which needs the access token the browser has just dropped) must
 * not stand in front of them.
 */
@Injectable()
export class AuthController {
  /** @internal */
  constructor(
    private readonly sessions: SessionService,
    private readonly cookies: SessionCookies,
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
  ) {}

  @Post('refresh')
  @Public()
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.OK)
  @UseGuards(RefreshGuard)
  async refresh(
    @Req() request: CookieRequest & { user: RefreshPrincipal },
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<RefreshResponse> {
    const issued = await this.sessions.refresh(request.user, { request, response });
    return toRefreshResponse(issued, this.config.refresh.acceptFromBody);
  }

  @Post('logout')
  @Public()
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(LogoutGuard)
  async logout(
    @Req() request: CookieRequest & { user: SessionPrincipal | RefreshPrincipal },
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<void> {
    this.cookies.clear(response);
    // A refresh token whose session is gone gets the same 401 as any other dead token.
    if (!(await this.sessions.revoke(request.user.sessionId, { reason: 'logout' }))) {
      throw new SessionUnauthorizedException();
    }
  }

  @Post('logout-all')
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(AccessGuard)
  async logoutAll(
    @Req() request: CookieRequest & { user: SessionPrincipal },
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<void> {
    await this.sessions.revokeAll(request.user.userId);
    this.cookies.clear(response);
  }

  @Get('sessions')
  @Header('Cache-Control', 'no-store')
  @UseGuards(AccessGuard)
  async list(
    @Req() request: CookieRequest & { user: SessionPrincipal },
  ): Promise<{ sessions: SessionListItem[] }> {
    const sessions = await this.sessions.list(request.user.userId);
    return { sessions: sessions.map((s) => toListItem(s, request.user.sessionId)) };
  }

  @Delete('sessions/:id')
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(AccessGuard)
  async revoke(
    @Req() request: CookieRequest & { user: SessionPrincipal },
    @Param('id') id: string,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<void> {
    // Another user's session gets the same 404 as an unknown one.
    if (parseSessionId(id)?.userId !== request.user.userId || !(await this.sessions.revoke(id))) {
      throw new SessionNotFoundException();
    }
    if (id === request.user.sessionId) this.cookies.clear(response);
  }
}

/** `AuthController` mounted under `prefix`, as a subclass so that apps with different prefixes coexist. */
export function createAuthController(prefix: string): Type<AuthController> {
  @Controller(prefix.replace(/^\/+|\/+$/g, ''))
  class MountedAuthController extends AuthController {}
  return MountedAuthController;
}
