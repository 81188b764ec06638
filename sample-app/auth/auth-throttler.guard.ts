import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/** The routes that take a credential: guessing passwords or tokens there is what to slow down. */
const LIMITED = new Set(['POST /auth/login', 'POST /auth/refresh']);

/**
 * `@nestjs/throttler`'s guard, installed app-wide, limiting only login and refresh (each route
 * has its own counter per client IP). Everything else passes untouched.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ method: string; path: string }>();
    return !LIMITED.has(`${request.method} ${request.path}`);
  }
}
