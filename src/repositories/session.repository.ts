import type {
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionRecord,
} from './session-record.interface.js';

/**
 * The storage contract of sessions, and the injection token of the store in use.
 *
 * Every implementation passes the shared contract suite (`test/contract`). Session ids are the
 * full ids made by `SessionService` (they carry the encoded user id). Times are epoch ms, given
 * by the caller. A store that cannot answer throws `SessionStoreUnavailableException` (503).
 */
export abstract class SessionRepository {
  /**
   * Stores a new session, atomically with the eviction of the user's earliest-created live
   * sessions beyond `maxSessions` (0 = unlimited). The session expires at
   * min(idleExpiresAt, absoluteExpiresAt) and nothing of it outlives that.
   * @returns the ids of the evicted sessions.
   */
  abstract create(record: NewSessionRecord, maxSessions: number): Promise<string[]>;

  /**
   * Atomically rotates the refresh jti of a session, answers a retired jti inside the grace
   * window, or deletes the session when a jti is replayed. Under any concurrency a session has
   * exactly one current jti, and a deleted session is never brought back.
   */
  abstract rotate(input: RotateInput): Promise<RotateResult>;

  /** Whether the session exists and has not expired at `now`. One read, no write. */
  abstract isLive(sessionId: string, now: number): Promise<boolean>;

  /** The live session, or `null` when it is absent or expired. */
  abstract get(sessionId: string, now: number): Promise<SessionRecord | null>;

  /** The user's live sessions, in no particular order; expired entries are pruned. */
  abstract list(userId: string, now: number): Promise<SessionRecord[]>;

  /** Deletes one session. @returns whether it existed. */
  abstract revoke(sessionId: string): Promise<boolean>;

  /** Deletes every session of the user but `exceptSessionId`, atomically. @returns how many. */
  abstract revokeAll(userId: string, exceptSessionId?: string): Promise<number>;

  /** Checks that the store answers; throws `SessionStoreUnavailableException` otherwise. */
  abstract ping(): Promise<void>;
}
