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

/**
 * Why a session ended:
 * - `logout`: `POST /auth/logout`.
 * - `logout-all`: `POST /auth/logout-all`, or `SessionService.revokeAll()`.
 * - `revoked-by-id`: `DELETE /auth/sessions/:id`, or `SessionService.revoke()`.
 * - `evicted`: a login went past `maxSessionsPerUser`.
 * - `replaced`: the same browser logged in again (its old session ends).
 * - `reuse-detected`: its refresh token was replayed (see `session.reuse-detected`).
 * - `idle`, `absolute`: it expired, found by the module after the fact (see the README).
 */
export type SessionRevokedReason =
  | 'logout'
  | 'logout-all'
  | 'revoked-by-id'
  | 'evicted'
  | 'replaced'
  | 'reuse-detected'
  | 'idle'
  | 'absolute';

/** Fields every session event has. Events never carry a token. */
export interface SessionEventBase {
  userId: string;
  sessionId: string;
  /** When it happened (for `idle` and `absolute`: when the session expired). */
  at: Date;
}

/** `session.created`: a login opened a session. */
export interface SessionCreatedEvent extends SessionEventBase {
  name: 'session.created';
  ip?: string;
  userAgent?: string;
}

/** `session.refreshed`: a refresh token was exchanged for new tokens. */
export interface SessionRefreshedEvent extends SessionEventBase {
  name: 'session.refreshed';
  ip?: string;
  userAgent?: string;
  /**
   * `false` when a just-retired refresh token was answered inside the reuse grace window (a second
   * tab): the tokens were issued again, nothing rotated.
   */
  rotated: boolean;
}

/** `session.revoked`: a session ended. */
export interface SessionRevokedEvent extends SessionEventBase {
  name: 'session.revoked';
  reason: SessionRevokedReason;
}

/**
 * `session.reuse-detected`: a retired refresh token was presented again, outside the grace window
 * (a stolen copy, or a client that lost a response); the session is revoked. `ip` and `userAgent`
 * are those of the request that presented it.
 */
export interface SessionReuseDetectedEvent extends SessionEventBase {
  name: 'session.reuse-detected';
  ip?: string;
  userAgent?: string;
}

/** Any session event; `name` tells which. */
export type SessionEvent =
  SessionCreatedEvent | SessionRefreshedEvent | SessionRevokedEvent | SessionReuseDetectedEvent;

/** The `events` option: a hook that receives every event. */
export interface SessionEventsOptions {
  /**
   * Called with every event, after the response is on its way: its time and its failures never
   * reach the request (a throw or rejection is logged with the event name only). Default: none.
   */
  onEvent?: (event: SessionEvent) => void | Promise<void>;
}
