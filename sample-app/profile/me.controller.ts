import { Controller, Get, UseGuards } from '@nestjs/common';
import { AccessGuard, CurrentSession, type SessionPrincipal } from 'nest-redis-sessions';

/** What `GET /me` answers. */
export interface MeResponse {
  userId: string;
  sessionId: string;
  role?: string;
}

/** Who is calling: the session behind the access token (Bearer header or cookie). */
@Controller('me')
export class MeController {
  @Get()
  @UseGuards(AccessGuard)
  me(@CurrentSession() session: SessionPrincipal): MeResponse {
    return { userId: session.userId, sessionId: session.sessionId, role: session.role };
  }
}
