import { Logger } from '@nestjs/common';
import { encodeUserId } from './session-id.js';
import type {
  ClaimsTarget,
  ClaimsUpdate,
  ExpiredSession,
  LiveSession,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionChange,
  SessionChangeFeed,
  SessionRecord,
} from './session-record.js';
import { SessionRepository } from './session.repository.js';

/** The cache's options: `revocation.cacheMs` and `revocation.maxEntries`. */
export interface LiveSessionCacheOptions {
  /** Longest time an answer of `readLive` is served from memory (ms). */
  cacheMs: number;
  /** Most sessions held; the least recently used goes first. */
  maxEntries: number;
}

/**
 * The in-process cache of live sessions (`revocation.cacheMs`): a repository that wraps another
 * and answers `readLive` from memory, kept honest by the inner repository's change feed, on which
 * the store announces every write that changes what `readLive` answers, from any instance.
 *
 * Guarantees: an answer is served from memory only while the feed is connected (when it drops,
 * the cache is emptied and bypassed until it is back); an entry never outlives `cacheMs` nor the
 * session's own expiry; a read that raced with a change is not cached; absence is never cached.
 * Every write made through this repository forgets what it changes here at once, by construction
 * (they all go through `write`), without waiting for its announcement.
 *
 * `start()` subscribes to the feed and `stop()` ends it (the module calls them at bootstrap and
 * shutdown); until started, every read goes to the inner repository.
 */
export class LiveSessionCache extends SessionRepository {
  private readonly logger = new Logger('SessionRevocations');
  /** Session id -> its live view and until when it may be served. Insertion order = recency. */
  private readonly entries = new Map<string, { until: number; live: LiveSession }>();
  private stopFeed: (() => Promise<void>) | null = null;
  /** Between `start()` and `stop()`. */
  private running = false;
  private feedUp = false;
  /** Bumped by every change: a read that started before one is not cached. */
  private epoch = 0;

  constructor(
    private readonly inner: SessionRepository,
    private readonly options: LiveSessionCacheOptions,
  ) {
    super();
  }

  /** Whether answers are served from memory now: started, and the feed is connected. */
  get connected(): boolean {
    return this.feedUp;
  }

  /**
   * Subscribes to the inner repository's change feed; resolves once subscribed (or failed to: the
   * cache is then bypassed until the feed connects). Throws when the inner repository has none.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const feed: SessionChangeFeed | null = this.inner.changeFeed();
    if (!feed) {
      throw new Error('LiveSessionCache needs a repository with a change feed (the Redis store)');
    }
    this.running = true;
    const stop = await feed.subscribe({
      changed: (change) => this.forget(change),
      connected: (up) => this.setConnected(up),
    });
    if (this.running) this.stopFeed = stop;
    else await stop(); // stopped while subscribing
  }

  /** Unsubscribes and empties the cache; every read goes to the inner repository again. */
  async stop(): Promise<void> {
    const stop = this.stopFeed;
    this.stopFeed = null;
    this.running = false;
    this.feedUp = false;
    this.forget(null);
    await stop?.();
  }

  /**
   * The live view of a session: from memory while the feed is connected and the entry is fresh,
   * else from the inner repository (then remembered until min(now + cacheMs, its expiry)).
   */
  override async readLive(sessionId: string, now: number): Promise<LiveSession | null> {
    if (!this.feedUp) return this.inner.readLive(sessionId, now);
    const entry = this.entries.get(sessionId);
    if (entry && now < entry.until) {
      this.entries.delete(sessionId); // most recently used goes last
      this.entries.set(sessionId, entry);
      return entry.live; // shared: readers never mutate a live view (see LiveSession)
    }
    const epoch = this.epoch;
    const live = await this.inner.readLive(sessionId, now);
    if (!live || !this.feedUp || epoch !== this.epoch) return live;
    // A frozen copy, once per miss: readers share it and would throw if they changed it, and the
    // inner repository's own object (a custom one may keep it) is left as it was.
    const view: LiveSession = Object.freeze({ ...live, claims: Object.freeze({ ...live.claims }) });
    this.remember(sessionId, view, Math.min(now + this.options.cacheMs, live.expiresAt));
    return view;
  }

  create(record: NewSessionRecord, maxSessions: number): Promise<string[]> {
    // Evictions may end any session of the user.
    return this.write({ userId: record.userId }, () => this.inner.create(record, maxSessions));
  }

  rotate(input: RotateInput): Promise<RotateResult> {
    return this.write({ sessionId: input.sessionId }, () => this.inner.rotate(input));
  }

  markFresh(sessionId: string, authenticatedAt: number, now: number): Promise<boolean> {
    return this.write({ sessionId }, () => this.inner.markFresh(sessionId, authenticatedAt, now));
  }

  updateClaims(target: ClaimsTarget, update: ClaimsUpdate, now: number): Promise<number> {
    return this.write(target, () => this.inner.updateClaims(target, update, now));
  }

  revoke(sessionId: string): Promise<boolean> {
    return this.write({ sessionId }, () => this.inner.revoke(sessionId));
  }

  revokeAll(userId: string, exceptSessionId?: string): Promise<string[]> {
    return this.write({ userId }, () => this.inner.revokeAll(userId, exceptSessionId));
  }

  get(sessionId: string, now: number): Promise<SessionRecord | null> {
    return this.inner.get(sessionId, now);
  }

  list(userId: string, now: number): Promise<SessionRecord[]> {
    return this.inner.list(userId, now);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  override changeFeed(): SessionChangeFeed | null {
    return this.inner.changeFeed();
  }

  /** The inner repository's expiry reports (this one removes nothing itself). */
  override onExpired(listener: (expired: ExpiredSession[]) => void): () => void {
    return this.inner.onExpired(listener);
  }

  /**
   * Every write goes through here: what it may change is forgotten before it starts (a read in
   * flight is not cached) and again once it has ended, whether it succeeded or not.
   */
  private async write<T>(target: SessionChange, call: () => Promise<T>): Promise<T> {
    this.forget(target);
    try {
      return await call();
    } finally {
      this.forget(target);
    }
  }

  private setConnected(up: boolean): void {
    if (up === this.feedUp || !this.running) return;
    this.feedUp = up;
    if (up) return;
    // Changes may be missed while disconnected: nothing held may be served any more.
    this.forget(null);
    this.logger.warn('Revocation channel lost: reading every session from Redis');
  }

  /** Drops what a change makes stale: one session, a user's sessions, or (`null`) everything. */
  private forget(change: SessionChange): void {
    this.epoch += 1;
    if (change === null) {
      this.entries.clear();
    } else if ('sessionId' in change) {
      this.entries.delete(change.sessionId);
    } else {
      // A session id starts with its encoded user id (see `session-id.ts`).
      const owner = `${encodeUserId(change.userId)}.`;
      for (const sessionId of this.entries.keys()) {
        if (sessionId.startsWith(owner)) this.entries.delete(sessionId);
      }
    }
  }

  private remember(sessionId: string, live: LiveSession, until: number): void {
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { until, live });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
