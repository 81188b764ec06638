import {
  Body,
  Controller,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { SessionService, type CookieRequest, type CookieResponse } from 'nest-redis-sessions';
import { UsersService } from '../users/users.service.js';
import { requireCredentials } from './credentials-body.js';

/** What `POST /auth/login` expects. */
export interface LoginBody {
  username: string;
  password: string;
}

/** What `POST /auth/login` answers; the refresh token travels only in its cookie. */
export interface LoginResponse {
  accessToken: string;
  /** ISO 8601. */
  accessTokenExpiresAt: string;
  sessionId: string;
  user: { id: string; role: string };
}

/** The sample's login route: checks a password, then lets the library open a session. */
@Controller('auth')
export class LoginController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async login(
    @Body() body: unknown,
    @Req() request: CookieRequest,
    @Res({ passthrough: true }) response: CookieResponse,
  ): Promise<LoginResponse> {
    const { username, password }: LoginBody = requireCredentials(request.headers, body, [
      'username',
      'password',
    ]);
    const user = await this.users.verify(username, password);
    if (!user) {
      throw new UnauthorizedException({
        statusCode: HttpStatus.UNAUTHORIZED,
        message: 'Invalid username or password',
      });
    }
    const session = await this.sessions.create(user, { request, response });
    return {
      accessToken: session.accessToken,
      accessTokenExpiresAt: session.accessTokenExpiresAt.toISOString(),
      sessionId: session.sessionId,
      user: { id: user.id, role: user.role },
    };
  }
}
