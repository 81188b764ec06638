import {
  Body,
  Controller,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import {
  AccessGuard,
  CurrentSession,
  SessionService,
  type CookieRequest,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { UsersService } from '../users/users.service.js';
import { requireCredentials } from './credentials-body.js';

/** What `POST /auth/reauth` expects. */
export interface ReauthBody {
  password: string;
}

/**
 * Step-up for the sample: the logged-in user types their password again, and the session counts
 * as freshly authenticated (`SessionService.markFresh`) for routes marked `@RequireFreshSession`.
 */
@Controller('auth')
export class ReauthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  /** 204 on success; 400 for a malformed body; 401 for a wrong password or a dead session. */
  @Post('reauth')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Header('Cache-Control', 'no-store')
  @UseGuards(AccessGuard)
  async reauth(
    @Body() body: unknown,
    @Req() request: CookieRequest,
    @CurrentSession() session: SessionPrincipal,
  ): Promise<void> {
    const { password }: ReauthBody = requireCredentials(request.headers, body, ['password']);
    const verified = await this.users.verifyPassword(session.userId, password);
    // A session revoked meanwhile cannot be made fresh: same 401 as a wrong password.
    if (!verified || !(await this.sessions.markFresh(session.sessionId))) {
      throw new UnauthorizedException({
        statusCode: HttpStatus.UNAUTHORIZED,
        message: 'Invalid password',
      });
    }
  }
}
