import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { parseDuration } from '../config/duration.js';
import type { Duration } from '../config/session-options.js';
import { SessionArgumentError } from '../session.exceptions.js';
import { SessionRepository } from '../store/session.repository.js';

/** Options of `SessionHealthIndicator.isHealthy()`. */
export interface SessionHealthOptions {
  /** How long the store may take to answer before it counts as down. Default: `'1s'`. */
  timeout?: Duration;
}

/** What the indicator reports when the store does not answer (never a URL, host or error text). */
export const SESSION_STORE_DOWN_MESSAGE = 'Session store unavailable';

/**
 * A `@nestjs/terminus` health indicator for the session store: `up` when the store answers a
 * ping (Redis `PING`, or the custom repository's `ping()`), `down` when it fails or is slower than
 * the timeout. Needs `TerminusModule` imported where it is provided (or `SessionHealthModule`).
 *
 * @example
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.sessions.isHealthy()]);
 * }
 * ```
 */
@Injectable()
export class SessionHealthIndicator {
  /** @internal */
  constructor(
    private readonly repository: SessionRepository,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /**
   * Pings the session store.
   * @param key the name of the indicator in the health check's result. Default: `'sessions'`.
   * @throws SessionArgumentError when `options.timeout` is not a positive duration.
   */
  async isHealthy<const Key extends string = 'sessions'>(
    key: Key = 'sessions' as Key,
    options: SessionHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const timeoutMs = parseDuration(options.timeout ?? '1s');
    if (!timeoutMs) throw new SessionArgumentError('timeout must be a positive duration');
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(this.repository.ping(), timeoutMs);
      return indicator.up();
    } catch {
      // The error may name the Redis host: only the fixed message goes into the result.
      return indicator.down({ message: SESSION_STORE_DOWN_MESSAGE });
    }
  }
}

/** `promise`, or a rejection once `ms` have passed (the timer never keeps the process alive). */
function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Session store ping timed out')), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
