import { Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import {
  AccessGuard,
  CurrentSession,
  RequireFreshSession,
  type SessionPrincipal,
} from 'nest-redis-sessions';

/** What `POST /account/sensitive` answers. */
export interface SensitiveActionResponse {
  ok: true;
  userId: string;
}

/**
 * A sensitive action (think: change the email address): it needs a password typed in the last
 * five minutes (at login, or at `POST /auth/reauth`), else 403 `{ code: 'SESSION_NOT_FRESH' }`.
 */
@Controller('account')
export class AccountController {
  @Post('sensitive')
  @HttpCode(HttpStatus.OK)
  @UseGuards(AccessGuard)
  @RequireFreshSession('5m')
  sensitive(@CurrentSession() session: SessionPrincipal): SensitiveActionResponse {
    return { ok: true, userId: session.userId };
  }
}
