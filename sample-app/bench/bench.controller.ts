import { Controller, Get, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { CurrentSession, type SessionPrincipal } from 'nest-redis-sessions';
import { PassportAccessGuard } from 'nest-redis-sessions/passport';
import type { MeResponse } from '../profile/me.controller.js';
import { FloorGuard } from './floor.guard.js';

/**
 * The extra rows of `npm run bench`: the handler of `GET /public` behind the guards that users
 * write by hand with `@nestjs/passport` and passport-jwt (no session check), and `GET /me`'s
 * handler behind the module's passport variant of `AccessGuard`.
 */
@Controller('bench')
export class BenchController {
  /** Hand-written passport-jwt guard, string secret. */
  @Get('passport-string')
  @UseGuards(AuthGuard('bench-jwt-string'))
  passportString(): { ok: true } {
    return { ok: true };
  }

  /** Hand-written passport-jwt guard, `KeyObject` secret. */
  @Get('passport-key')
  @UseGuards(AuthGuard('bench-jwt-key'))
  passportKey(): { ok: true } {
    return { ok: true };
  }

  /** `PassportAccessGuard` (the passport subpath): `AccessGuard`'s checks through passport. */
  @Get('passport-access-guard')
  @UseGuards(PassportAccessGuard)
  passportAccessGuard(@CurrentSession() session: SessionPrincipal): MeResponse {
    return { userId: session.userId, sessionId: session.sessionId, role: session.role };
  }

  /**
   * `GET /public`'s twin, registered beside `GET /bench/floor`: Express matches routes in order,
   * so the floor is compared with a route as far down the list as itself.
   */
  @Get('public')
  public(): { ok: true } {
    return { ok: true };
  }

  /** The floor of a guard (`FloorGuard`): `GET /me`'s handler and answer, no token, no store. */
  @Get('floor')
  @UseGuards(FloorGuard)
  floor(@CurrentSession() session: SessionPrincipal): MeResponse {
    return { userId: session.userId, sessionId: session.sessionId, role: session.role };
  }
}
