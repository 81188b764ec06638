import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import { CurrentSession, type SessionPrincipal } from 'nest-redis-sessions';
import { PassportAccessGuard } from 'nest-redis-sessions/passport';

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
