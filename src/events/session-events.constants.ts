/**
 * Names of the events the module emits (through `@nestjs/event-emitter` when the app has
 * `EventEmitterModule`, and to the `events.onEvent` hook when set).
 * @example
 * ```ts
 * @OnEvent(SessionEvents.ReuseDetected)
 * alert(event: SessionReuseDetectedEvent) { this.security.alert(event.userId, event.ip); }
 * ```
 */
export const SessionEvents = {
  /** A login opened a session (`SessionService.create()`). */
  Created: 'session.created',
  /** A refresh token was exchanged for new tokens. */
  Refreshed: 'session.refreshed',
  /** A session ended; `reason` says how. */
  Revoked: 'session.revoked',
  /** A retired refresh token was presented again: the session has been revoked. */
  ReuseDetected: 'session.reuse-detected',
} as const;

/** One of the event names of `SessionEvents`. */
export type SessionEventName = (typeof SessionEvents)[keyof typeof SessionEvents];
