import {
  BadRequestException,
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

/** What `POST /auth/reauth` expects. */
export interface ReauthBody {
  password: string;
}

const MAX_PASSWORD_LENGTH = 256; // characters, as the login route
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const NOT_AN_OBJECT = 'body must be a JSON object with password';

/** The problems of a re-authentication body, one message each; empty when it is well-formed. */
export function reauthBodyProblems(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [NOT_AN_OBJECT];
  const value: unknown = Object.hasOwn(body, 'password')
    ? (body as Record<string, unknown>).password
    : undefined;
  if (typeof value !== 'string') return ['password must be a string'];
  if (value.length === 0) return ['password must not be empty'];
  if (value.length > MAX_PASSWORD_LENGTH) {
    return [`password must be at most ${MAX_PASSWORD_LENGTH} characters`];
  }
  if (CONTROL_CHARACTERS.test(value)) return ['password must not contain control characters'];
  return [];
}

/** Whether the request declares a JSON body (a cross-site form post cannot). */
function isJsonRequest(request: CookieRequest): boolean {
  const { headers } = request;
  const hasBody =
    headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;
  const type = headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
  return hasBody && type === 'application/json';
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
    const problems = isJsonRequest(request) ? reauthBodyProblems(body) : [NOT_AN_OBJECT];
    if (problems.length > 0) {
      throw new BadRequestException({ statusCode: HttpStatus.BAD_REQUEST, message: problems });
    }
    const { password } = body as ReauthBody;
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
