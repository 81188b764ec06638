import { SetMetadata } from '@nestjs/common';
import { parseDuration } from '../config/duration.js';
import type { Duration } from '../config/session-options.js';
import { SessionArgumentError } from '../session.exceptions.js';

/** Metadata key of `@RequireFreshSession()`: the maximum age in milliseconds. */
export const FRESH_SESSION_KEY = 'nest-redis-sessions:fresh';

/**
 * Step-up: the route needs a session whose last credential check (the login, or
 * `SessionService.markFresh()` after a password re-entry) is at most `maxAge` old; otherwise
 * `AccessGuard` answers 403 `{ code: 'SESSION_NOT_FRESH' }`. On a controller it applies to every
 * route; a handler's own value wins. It implies a session: a `@Public()` controller does not open
 * it (only `@Public()` on the handler itself does).
 * @param maxAge milliseconds, or a string such as `'5m'`; parsed when the class is decorated, so a
 *   bad value fails at start-up (`SessionArgumentError`).
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @RequireFreshSession('5m')
 * @Post('account/email') changeEmail() { ... }
 * ```
 */
export function RequireFreshSession(maxAge: Duration): MethodDecorator & ClassDecorator {
  const ms = parseDuration(maxAge);
  if (ms === undefined || ms < 1) {
    throw new SessionArgumentError(
      "@RequireFreshSession(maxAge): maxAge must be a positive duration such as '5m' or a number of milliseconds",
    );
  }
  return SetMetadata(FRESH_SESSION_KEY, ms);
}
