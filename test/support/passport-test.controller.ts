import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import { CurrentSession, PassportAccessGuard, type SessionPrincipal } from 'nest-redis-sessions';

/** Routes behind the passport-jwt guard: `GET /passport/me` and `POST /passport/write`. */
@Controller('passport')
@UseGuards(PassportAccessGuard)
export class PassportTestController {
  @Get('me')
  me(@CurrentSession() session: SessionPrincipal) {
    return { userId: session.userId, sessionId: session.sessionId };
  }

  @Post('write')
  write() {
    return { ok: true };
  }
}
