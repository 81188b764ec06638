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
import type { ResolvedSessionConfig } from './config/resolved-session-config.js';
import { AccessGuard } from './guards/access.guard.js';
import { LogoutGuard } from './guards/logout.guard.js';
import { RefreshGuard } from './guards/refresh.guard.js';
import type { CookieRequest, CookieResponse } from './http/http.types.js';
import type { SessionPrincipal } from './interfaces/session.interface.js';
import type { RefreshPrincipal } from './interfaces/token-payload.interface.js';
import { SESSION_CONFIG } from './session.constants.js';
import { SessionNotFoundException, SessionUnauthorizedException } from './session.exceptions.js';
import { parseSessionId } from './session-id.js';
import { SessionService } from './session.service.js';

type AuthRequest<T> = CookieRequest & { user: T };

/** Body of `POST /auth/refresh` (and the shape of a login answer's token part). */
export interface RefreshResponse {
  accessToken: string;
  accessTokenExpiresAt: string;
  sessionId: string;
  /** Only when `refreshToken.acceptFromBody` is on. */
  refreshToken?: string;
  refreshTokenExpiresAt?: string;
}

/** One entry of `GET /auth/sessions`. */
export interface SessionListItem {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/**
 * The session routes of the HTTP contract: refresh, logout, logout-all, list and revoke sessions.
 * A thin layer over `SessionService`; mounted under the route prefix by `createAuthController`.
 */
@Injectable()
export class AuthController {
  constructor(
    protected readonly sessions: SessionService,
    @Inject(SESSION_CONFIG) protected readonly config: ResolvedSessionConfig,
  ) {}

  @Post('refresh')
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.OK)
  @UseGuards(RefreshGuard)
  async refresh(
    @Req() request: AuthRequest<RefreshPrincipal>,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<RefreshResponse> {
    const issued = await this.sessions.rotateVerified(request.user, { request, response });
    return {
      accessToken: issued.accessToken,
      accessTokenExpiresAt: issued.accessTokenExpiresAt.toISOString(),
      sessionId: issued.sessionId,
      ...(this.config.refresh.acceptFromBody
        ? {
            refreshToken: issued.refreshToken,
            refreshTokenExpiresAt: issued.refreshTokenExpiresAt.toISOString(),
          }
        : {}),
    };
  }

  @Post('logout')
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(LogoutGuard)
  async logout(
    @Req() request: AuthRequest<SessionPrincipal | RefreshPrincipal>,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<void> {
    this.sessions.clearCookies(response);
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
    @Req() request: AuthRequest<SessionPrincipal>,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<void> {
    await this.sessions.revokeAll(request.user.userId);
    this.sessions.clearCookies(response);
  }

  @Get('sessions')
  @Header('Cache-Control', 'no-store')
  @UseGuards(AccessGuard)
  async list(
    @Req() request: AuthRequest<SessionPrincipal>,
  ): Promise<{ sessions: SessionListItem[] }> {
    const sessions = await this.sessions.list(request.user.userId);
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        userAgent: s.userAgent ?? null,
        ip: s.ip ?? null,
        current: s.id === request.user.sessionId,
      })),
    };
  }

  @Delete('sessions/:id')
  @Header('Cache-Control', 'no-store')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(AccessGuard)
  async revoke(
    @Req() request: AuthRequest<SessionPrincipal>,
    @Param('id') id: string,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<void> {
    // Another user's session gets the same 404 as an unknown one.
    if (parseSessionId(id)?.userId !== request.user.userId || !(await this.sessions.revoke(id))) {
      throw new SessionNotFoundException();
    }
    if (id === request.user.sessionId) this.sessions.clearCookies(response);
  }
}

/** `AuthController` mounted under `prefix`, as a subclass so that apps with different prefixes coexist. */
export function createAuthController(prefix: string): Type<AuthController> {
  @Controller(prefix.replace(/^\/+|\/+$/g, ''))
  class MountedAuthController extends AuthController {}
  return MountedAuthController;
}
