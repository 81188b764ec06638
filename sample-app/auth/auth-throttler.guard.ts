import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AuthController } from 'nest-redis-sessions';
import { LoginController } from './login.controller.js';
import { ReauthController } from './reauth.controller.js';

/**
 * The handlers that take a credential: guessing passwords or tokens there is what to slow down
 * (`POST /auth/reauth` takes a password too).
 * Matched by handler, not by URL, so that `/AUTH/LOGIN` or `/auth/login/` (which both platforms
 * route to the same handler) cannot pass unlimited. Mounted auth controllers inherit `refresh`.
 */
const LIMITED = new Set<unknown>([
  LoginController.prototype.login,
  ReauthController.prototype.reauth,
  AuthController.prototype.refresh,
]);

/**
 * `@nestjs/throttler`'s guard, installed app-wide, limiting only login, re-authentication and
 * refresh (each route has its own counter per client IP). Everything else passes untouched.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return !LIMITED.has(context.getHandler());
  }
}
