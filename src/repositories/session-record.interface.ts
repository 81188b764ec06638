/** A stored session. Times are epoch milliseconds. */
export interface SessionRecord {
  /** Full session id (see `session-id.ts`): carries the encoded user id. */
  sessionId: string;
  userId: string;
  /** Empty string when the user has no role. */
  role: string;
  /** JSON of the custom claims, or empty string. */
  claims: string;
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
  /**
   * The last credential check: the login, or the latest `markFresh()` (a password re-entry).
   * Sessions stored before this field existed read it as `createdAt`.
   */
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
 * claims as stored now (`updateClaims`) and the last credential check (`markFresh`).
 */
export interface LiveSessionRecord {
  /** Empty string when the user has no role. */
  role: string;
  /** JSON of the custom claims, or empty string. */
  claims: string;
  authenticatedAt: number;
}

/** Which sessions `SessionRepository.updateClaims()` changes: one, or every live one of a user. */
export type ClaimsTarget = { sessionId: string } | { userId: string };

/** Fields `SessionRepository.updateClaims()` writes; an absent field is left unchanged. */
export interface ClaimsUpdate {
  /** New role; empty string = no role. */
  role?: string;
  /** New custom claims JSON (replaces the old one); empty string = none. */
  claims?: string;
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
