import type {
  ClaimsTarget,
  ClaimsUpdate,
  ExpiredSession,
  LiveSession,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionChangeFeed,
  SessionRecord,
} from './session-record.js';

/**
 * The storage contract of sessions, and the injection token of the store in use.
 *
 * Every implementation passes the shared contract suite (`test/contract`). Session ids are the
 * full ids made by `SessionService` (they carry the encoded user id). Times are epoch ms, given
 * by the caller. A store that cannot answer throws `SessionStoreUnavailableException` (503).
 */
export abstract class SessionRepository {
  private readonly expiryListeners = new Set<(expired: ExpiredSession[]) => void>();

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

  /**
   * The role, claims and last credential check of a live session, or `null` when it is absent or
   * expired: what the guard reads on every request, so one read, no write. The default reads the
   * whole session with `get()`; the built-in repositories read only these fields.
   */
  async readLive(sessionId: string, now: number): Promise<LiveSession | null> {
    const record = await this.get(sessionId, now);
    return record
      ? {
          role: record.role,
          claims: record.claims,
          authenticatedAt: record.authenticatedAt,
          expiresAt: Math.min(record.idleExpiresAt, record.absoluteExpiresAt),
        }
      : null;
  }

  /**
   * Sets `authenticatedAt` of a session live at `now` (a password re-entry), atomically; never
   * creates, extends or brings back a session. @returns whether a live session was updated.
   */
  abstract markFresh(sessionId: string, authenticatedAt: number, now: number): Promise<boolean>;

  /**
   * Replaces the role and/or claims of one session, or of every session of a user, live at `now`,
   * atomically; never creates, extends or brings back a session.
   * @returns how many live sessions were updated.
   */
  abstract updateClaims(target: ClaimsTarget, update: ClaimsUpdate, now: number): Promise<number>;

  /** The live session, or `null` when it is absent or expired. */
  abstract get(sessionId: string, now: number): Promise<SessionRecord | null>;

  /** The user's live sessions, in no particular order; expired entries are pruned. */
  abstract list(userId: string, now: number): Promise<SessionRecord[]>;

  /** Deletes one session. @returns whether it existed. */
  abstract revoke(sessionId: string): Promise<boolean>;

  /**
   * Deletes every session of the user but `exceptSessionId`, atomically.
   * @returns the ids of the live sessions deleted.
   */
  abstract revokeAll(userId: string, exceptSessionId?: string): Promise<string[]>;

  /** Checks that the store answers; throws `SessionStoreUnavailableException` otherwise. */
  abstract ping(): Promise<void>;

  /**
   * The announcements of every write that changes what `readLive` returns, made by any instance
   * sharing this store (what keeps the revocation cache honest), or `null` when the store has no
   * such channel (the default: then `revocation.cacheMs` is refused). A store that has one
   * announces every such write, whatever the announcing instance's own cache setting.
   */
  changeFeed(): SessionChangeFeed | null {
    return null;
  }

  /**
   * Registers a listener of the sessions this repository finds expired and removes (for the
   * `session.revoked` events with reason `idle` or `absolute`). Each removal is reported once.
   * A repository that cannot tell (a custom one, say) simply reports nothing.
   * @returns a function that removes the listener.
   */
  onExpired(listener: (expired: ExpiredSession[]) => void): () => void {
    this.expiryListeners.add(listener);
    return () => this.expiryListeners.delete(listener);
  }

  /** Tells the listeners of `onExpired` about removed expired sessions; never throws. */
  protected reportExpired(expired: ExpiredSession[]): void {
    if (expired.length === 0) return;
    for (const listener of this.expiryListeners) {
      try {
        listener(expired);
      } catch {
        // A listener's failure is its own: the store operation has happened.
      }
    }
  }
}
