import {
  isLiveAt,
  type ClaimsTarget,
  type ClaimsUpdate,
  type LiveSession,
  type NewSessionRecord,
  type RotateInput,
  type RotateResult,
  type SessionRecord,
} from './session-record.js';
import { SessionRepository } from './session.repository.js';

/**
 * A session store in this process's memory, with the same behaviour as the Redis store (it passes
 * the same contract suite).
 *
 * For local development and for apps' own tests only: sessions live in one process (several
 * instances of an app do not share them) and nothing survives a restart. Every method runs
 * synchronously to its end, so each is atomic on Node's event loop.
 *
 * Expiry is lazy: a session is live while `now < min(idleExpiresAt, absoluteExpiresAt)`
 * (`isLiveAt`), and expired entries are dropped when an operation comes across them. `create()`
 * takes its `now` from the record's `createdAt`; `revoke()` and `revokeAll()`, which are given no
 * time, count only sessions live at `Date.now()` (as Redis, whose keys expire on the wall clock).
 * Records are copied in and out (their claims too): nothing the caller holds is shared with the
 * store. An empty role is no role, as in Redis. It has no change feed, so no revocation cache.
 *
 * @example
 * SessionModule.forRoot({ accessToken, refreshToken, repository: new MemorySessionRepository() });
 */
export class MemorySessionRepository extends SessionRepository {
  private readonly sessions = new Map<string, SessionRecord>();
  /** Session ids of each user id. */
  private readonly byUser = new Map<string, Set<string>>();

  override async create(record: NewSessionRecord, maxSessions: number): Promise<string[]> {
    const now = record.createdAt;
    this.delete(record.sessionId);
    const evicted: string[] = [];
    // Also drops (and reports) the user's expired sessions, as the Redis store prunes its index.
    const live = this.liveSessionsOf(record.userId, now);
    if (maxSessions > 0) {
      live.sort((a, b) => a.createdAt - b.createdAt || compareIds(a.sessionId, b.sessionId));
      // Keep maxSessions - 1 old ones: the new session takes the last place.
      for (const old of live.slice(0, Math.max(0, live.length - maxSessions + 1))) {
        this.delete(old.sessionId);
        evicted.push(old.sessionId);
      }
    }
    this.store(copy({ ...record, previousJti: '', previousRetiredAt: 0 }));
    return evicted;
  }

  override async rotate(input: RotateInput): Promise<RotateResult> {
    const session = this.liveSession(input.sessionId, input.now);
    if (!session) return { status: 'missing' };
    if (session.currentJti !== '' && input.presentedJti === session.currentJti) {
      const rotated: SessionRecord = {
        ...session,
        previousJti: session.currentJti,
        previousRetiredAt: input.now,
        currentJti: input.nextJti,
        idleExpiresAt: Math.min(input.now + input.idleMs, session.absoluteExpiresAt),
        lastSeenAt: input.now,
        userAgent: input.userAgent,
        ip: input.ip,
      };
      this.sessions.set(rotated.sessionId, rotated);
      return { status: 'rotated', record: copy(rotated) };
    }
    const inGrace =
      session.previousJti !== '' &&
      input.presentedJti === session.previousJti &&
      input.graceMs > 0 &&
      input.now - session.previousRetiredAt < input.graceMs;
    if (inGrace) return { status: 'grace', record: copy(session) };
    this.delete(session.sessionId);
    return { status: 'reused', userId: session.userId };
  }

  override async readLive(sessionId: string, now: number): Promise<LiveSession | null> {
    const session = this.sessions.get(sessionId);
    if (!session || !isLive(session, now)) return null;
    const live: LiveSession = {
      claims: { ...session.claims },
      authenticatedAt: session.authenticatedAt,
      expiresAt: Math.min(session.idleExpiresAt, session.absoluteExpiresAt),
    };
    return session.role ? { ...live, role: session.role } : live;
  }

  override async markFresh(
    sessionId: string,
    authenticatedAt: number,
    now: number,
  ): Promise<boolean> {
    const session = this.liveSession(sessionId, now);
    if (!session) return false;
    this.sessions.set(sessionId, { ...session, authenticatedAt });
    return true;
  }

  override async updateClaims(
    target: ClaimsTarget,
    update: ClaimsUpdate,
    now: number,
  ): Promise<number> {
    const targets =
      'sessionId' in target
        ? [this.liveSession(target.sessionId, now)].filter((s) => s !== null)
        : this.liveSessionsOf(target.userId, now);
    for (const session of targets) {
      const role = update.role === undefined ? session.role : update.role;
      const claims = update.claims ?? session.claims;
      this.sessions.set(session.sessionId, copy({ ...session, role: role ?? undefined, claims }));
    }
    return targets.length;
  }

  override async get(sessionId: string, now: number): Promise<SessionRecord | null> {
    const session = this.liveSession(sessionId, now);
    return session ? copy(session) : null;
  }

  override async list(userId: string, now: number): Promise<SessionRecord[]> {
    return this.liveSessionsOf(userId, now).map(copy);
  }

  override async revoke(sessionId: string): Promise<boolean> {
    const session = this.liveSession(sessionId, Date.now());
    this.delete(sessionId);
    return session !== null;
  }

  override async revokeAll(userId: string, exceptSessionId?: string): Promise<string[]> {
    const now = Date.now();
    const ended: string[] = [];
    for (const sessionId of [...(this.byUser.get(userId) ?? [])]) {
      if (sessionId === exceptSessionId) continue;
      if (this.liveSession(sessionId, now)) ended.push(sessionId);
      this.delete(sessionId);
    }
    return ended;
  }

  override async ping(): Promise<void> {}

  /** The stored session if it is live at `now`; an expired one is dropped (and reported). */
  private liveSession(sessionId: string, now: number): SessionRecord | null {
    const session = this.sessions.get(sessionId);
    if (!session) return null;
    if (isLive(session, now)) return session;
    this.delete(sessionId);
    const idle = session.idleExpiresAt < session.absoluteExpiresAt;
    this.reportExpired([
      {
        sessionId,
        userId: session.userId,
        reason: idle ? 'idle' : 'absolute',
        expiredAt: idle ? session.idleExpiresAt : session.absoluteExpiresAt,
      },
    ]);
    return null;
  }

  /** The user's sessions live at `now`; expired ones are dropped. */
  private liveSessionsOf(userId: string, now: number): SessionRecord[] {
    const live: SessionRecord[] = [];
    for (const sessionId of [...(this.byUser.get(userId) ?? [])]) {
      const session = this.liveSession(sessionId, now);
      if (session) live.push(session);
    }
    return live;
  }

  private store(session: SessionRecord): void {
    this.sessions.set(session.sessionId, session);
    const ids = this.byUser.get(session.userId) ?? new Set<string>();
    ids.add(session.sessionId);
    this.byUser.set(session.userId, ids);
  }

  private delete(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    const ids = this.byUser.get(session.userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.byUser.delete(session.userId);
  }
}

function isLive(session: SessionRecord, now: number): boolean {
  return isLiveAt(session.idleExpiresAt, session.absoluteExpiresAt, now);
}

/** A record that shares nothing with `record`; an empty role is left out ('' = no role). */
function copy(record: SessionRecord): SessionRecord {
  const { role, ...rest } = record;
  const copied: SessionRecord = { ...rest, claims: { ...record.claims } };
  return role ? { ...copied, role } : copied;
}

/** Plain code-unit order, the same on every platform (no locale). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
