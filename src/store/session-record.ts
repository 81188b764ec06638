import type { SessionClaims } from '../tokens/claim.types.js';

/** A stored session. Times are epoch milliseconds. */
export interface SessionRecord {
  /** Full session id (see `session-id.ts`): carries the encoded user id. */
  sessionId: string;
  userId: string;
  /** Absent when the user has no role. */
  role?: string;
  /** The custom claims (`{}` for none). */
  claims: SessionClaims;
  /** The refresh `jti` that the next refresh must present. */
  currentJti: string;
  /** The refresh `jti` retired by the last rotation, or empty string. */
  previousJti: string;
  /** When `previousJti` was retired, or 0. */
  previousRetiredAt: number;
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  /** The last credential check: the login, or the latest `markFresh()` (a password re-entry). */
  authenticatedAt: number;
  userAgent: string;
  ip: string;
}

/** What `SessionRepository.create()` stores. */
export type NewSessionRecord = Omit<SessionRecord, 'previousJti' | 'previousRetiredAt'>;

/** Input of `SessionRepository.rotate()`. */
export interface RotateInput {
  sessionId: string;
  /** The `jti` of the refresh token presented. */
  presentedJti: string;
  /** The `jti` to store if the presented one is current. */
  nextJti: string;
  now: number;
  /** Milliseconds a just-retired `jti` is still answered with the current one. */
  graceMs: number;
  /** New idle expiry is `now + idleMs`, never past the absolute expiry. */
  idleMs: number;
  userAgent: string;
  ip: string;
}

/**
 * Outcome of a rotation:
 * - `rotated`: the presented jti was current; `record.currentJti` is now `nextJti`.
 * - `grace`: the presented jti was retired less than the grace window ago; `record.currentJti` is
 *   the session's current jti, unchanged (sign a token for it: same session, no second branch).
 * - `reused`: the presented jti is neither; the session has been deleted.
 * - `missing`: no such live session.
 */
export type RotateResult =
  | { status: 'rotated'; record: SessionRecord }
  | { status: 'grace'; record: SessionRecord }
  | { status: 'reused'; userId: string }
  | { status: 'missing' };

/**
 * What the guard needs of a live session, read in one round trip (`readLive`): the role and
 * claims as stored now (`updateClaims`), the last credential check (`markFresh`) and when the
 * session ends unless refreshed, min(idle expiry, absolute expiry). A view may be shared (the
 * revocation cache hands the same one to every reader): readers copy what they keep and never
 * change it.
 */
export interface LiveSession {
  role?: string;
  claims: SessionClaims;
  authenticatedAt: number;
  expiresAt: number;
}

/** Which sessions `SessionRepository.updateClaims()` changes: one, or every live one of a user. */
export type ClaimsTarget = { sessionId: string } | { userId: string };

/** Fields `SessionRepository.updateClaims()` writes; an absent field is left unchanged. */
export interface ClaimsUpdate {
  /** New role; `null` removes it. */
  role?: string | null;
  /** New custom claims, replacing the old ones (`{}` removes them all). */
  claims?: SessionClaims;
}

/**
 * A session a repository found expired and removed (reported to `SessionRepository`'s expiry
 * listeners). `reason` says which timeout ended it.
 */
export interface ExpiredSession {
  sessionId: string;
  userId: string;
  reason: 'idle' | 'absolute';
  /** When it expired (epoch ms). */
  expiredAt: number;
}

/**
 * A change another instance may have cached a stale view of: one session, every session of a
 * user, or (`null`) anything at all.
 */
export type SessionChange = { sessionId: string } | { userId: string } | null;

/** What a subscriber of a `SessionChangeFeed` is told. */
export interface SessionChangeListener {
  /** A session (or a user's sessions) ended or changed, on this instance or another. */
  changed(change: SessionChange): void;
  /**
   * Whether the feed is connected now. While it is not, changes may be missed: a cache must not
   * serve what it holds.
   */
  connected(up: boolean): void;
}

/**
 * Announcements of every write that changes what `readLive` returns (revocations, role and
 * claim changes, fresh credential checks), made by any instance sharing the store.
 */
export interface SessionChangeFeed {
  /** Starts listening; resolves once subscribed (or failed to). @returns a function that stops. */
  subscribe(listener: SessionChangeListener): Promise<() => Promise<void>>;
}

/** The one liveness rule: a session is live while `now` is before both of its expiries. */
export function isLiveAt(idleExpiresAt: number, absoluteExpiresAt: number, now: number): boolean {
  const expires = Math.min(idleExpiresAt, absoluteExpiresAt);
  return Number.isFinite(expires) && now < expires;
}
