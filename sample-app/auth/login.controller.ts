import {
  BadRequestException,
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
import type { IncomingHttpHeaders } from 'node:http';
import { SessionService, type CookieRequest, type CookieResponse } from 'nest-redis-sessions';
import { UsersService } from '../users/users.service.js';

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

const MAX_FIELD_LENGTH = 256; // characters
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The problems of a login body, one message each; empty when it is well-formed. */
export function loginBodyProblems(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return ['body must be a JSON object with username and password'];
  }
  const problems: string[] = [];
  for (const field of ['username', 'password'] as const) {
    const value: unknown = Object.hasOwn(body, field)
      ? (body as Record<string, unknown>)[field]
      : undefined;
    if (typeof value !== 'string') problems.push(`${field} must be a string`);
    else if (value.length === 0) problems.push(`${field} must not be empty`);
    else if (value.length > MAX_FIELD_LENGTH) {
      problems.push(`${field} must be at most ${MAX_FIELD_LENGTH} characters`);
    } else if (CONTROL_CHARACTERS.test(value)) {
      // scrypt pads a short password with zero bytes (HMAC), so "pw" and "pw\0" hash alike.
      problems.push(`${field} must not contain control characters`);
    }
  }
  return problems;
}

/**
 * Whether the request has a body declared as `application/json` (parameters such as a charset
 * aside), as Express's `req.is('application/json')` answers it, on any platform.
 */
export function isJsonBody(headers: IncomingHttpHeaders): boolean {
  const hasBody =
    headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;
  const type = headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
  return hasBody && type === 'application/json';
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
    // JSON only: a cross-site page can post a form (urlencoded) without a preflight, and would
    // then log the victim's browser into the attacker's account.
    const problems = isJsonBody(request.headers)
      ? loginBodyProblems(body)
      : ['body must be a JSON object with username and password'];
    if (problems.length > 0) {
      throw new BadRequestException({ statusCode: HttpStatus.BAD_REQUEST, message: problems });
    }
    const { username, password } = body as LoginBody;
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
