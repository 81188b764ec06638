import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { LiveSessionCache } from '../../src/store/live-session-cache.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { newSessionId, randomId } from '../../src/store/session-id.js';
import type {
  ExpiredSession,
  LiveSession,
  NewSessionRecord,
  SessionChangeFeed,
  SessionChangeListener,
} from '../../src/store/session-record.js';
import type { SessionRepository } from '../../src/store/session.repository.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * A memory store with a change feed the test drives: it announces nothing by itself, so whatever
 * the cache forgets after its own writes, it forgot by construction, not because of the channel.
 * Counts the reads that reach it, and can hold them (`hold()`) to race them with changes.
 */
class FeedMemoryRepository extends MemorySessionRepository {
  listener: SessionChangeListener | null = null;
  reads = 0;
  private held: Promise<void> | null = null;

  private readonly feedOfChanges: SessionChangeFeed = {
    subscribe: async (listener) => {
      this.listener = listener;
      listener.connected(true);
      return async () => {
        listener.connected(false);
        this.listener = null;
      };
    },
  };

  override changeFeed(): SessionChangeFeed {
    return this.feedOfChanges;
  }

  override async readLive(sessionId: string, now: number): Promise<LiveSession | null> {
    this.reads += 1;
    const answer = await super.readLive(sessionId, now); // read first: a racing change comes after
    await this.held;
    return answer;
  }

  /** Holds every read until the returned function is called. */
  hold(): () => void {
    let release: () => void = () => undefined;
    this.held = new Promise((resolve) => (release = resolve));
    return () => {
      this.held = null;
      release();
    };
  }

  /** The feed, as subscribed. */
  get feed(): SessionChangeListener {
    if (!this.listener) throw new Error('nobody subscribed to the feed');
    return this.listener;
  }
}

function record(overrides: Partial<NewSessionRecord> = {}): NewSessionRecord {
  const userId = overrides.userId ?? `user-${randomId().slice(0, 8)}`;
  const createdAt = overrides.createdAt ?? Date.now();
  return {
    sessionId: newSessionId(userId),
    userId,
    role: 'user',
    claims: { tenant: 't-1' },
    currentJti: randomId(),
    createdAt,
    lastSeenAt: createdAt,
    idleExpiresAt: createdAt + HOUR,
    absoluteExpiresAt: createdAt + 24 * HOUR,
    authenticatedAt: createdAt,
    userAgent: 'ua',
    ip: '127.0.0.1',
    ...overrides,
  };
}

describe('LiveSessionCache', () => {
  let inner: FeedMemoryRepository;
  let cache: LiveSessionCache;
  let now: number;

  beforeEach(async () => {
    inner = new FeedMemoryRepository();
    cache = new LiveSessionCache(inner, { cacheMs: MINUTE, maxEntries: 100 });
    await cache.start();
    now = Date.now();
  });

  afterEach(async () => {
    await cache.stop();
  });

  /** Creates a session in the store and reads it through the cache twice: it is cached. */
  async function cached(overrides: Partial<NewSessionRecord> = {}): Promise<NewSessionRecord> {
    const session = record({ createdAt: now, ...overrides });
    await inner.create(session, 0);
    const before = inner.reads;
    await cache.readLive(session.sessionId, now);
    await cache.readLive(session.sessionId, now);
    expect(inner.reads - before).toBe(1);
    return session;
  }

  /** How many reads `readLive(sessionId, at)` sends to the store (0 = served from memory). */
  async function readsOf(sessionId: string, at = now): Promise<number> {
    const before = inner.reads;
    await cache.readLive(sessionId, at);
    return inner.reads - before;
  }

  it('serves a live session from memory while its feed is connected', async () => {
    const session = await cached();
    expect(cache.connected).toBe(true);
    await expect(cache.readLive(session.sessionId, now)).resolves.toEqual({
      role: 'user',
      claims: { tenant: 't-1' },
      authenticatedAt: now,
      expiresAt: session.idleExpiresAt,
    });
    expect(await readsOf(session.sessionId)).toBe(0);
  });

  it.each<
    [string, (s: NewSessionRecord) => Promise<unknown>, (s: NewSessionRecord) => object | null]
  >([
    ['revoke', (s) => cache.revoke(s.sessionId), () => null],
    ['revokeAll', (s) => cache.revokeAll(s.userId), () => null],
    [
      'revokeAll sparing another session',
      (s) => cache.revokeAll(s.userId, newSessionId(s.userId)),
      () => null,
    ],
    [
      'a rotation that finds its jti replayed',
      (s) =>
        cache.rotate({
          sessionId: s.sessionId,
          presentedJti: 'replayed',
          nextJti: randomId(),
          now: s.createdAt + 1,
          graceMs: 0,
          idleMs: HOUR,
          userAgent: 'ua',
          ip: '127.0.0.1',
        }),
      () => null,
    ],
    [
      'a login that evicts it',
      (s) => cache.create(record({ userId: s.userId, createdAt: s.createdAt + 1 }), 1),
      () => null,
    ],
    [
      'markFresh',
      (s) => cache.markFresh(s.sessionId, s.createdAt + 5, s.createdAt + 5),
      (s) => ({ authenticatedAt: s.createdAt + 5 }),
    ],
    [
      'updateClaims of the session',
      (s) => cache.updateClaims({ sessionId: s.sessionId }, { role: 'admin' }, s.createdAt),
      () => ({ role: 'admin' }),
    ],
    [
      'updateClaims of the user',
      (s) => cache.updateClaims({ userId: s.userId }, { claims: { tenant: 't-2' } }, s.createdAt),
      () => ({ claims: { tenant: 't-2' } }),
    ],
  ])(
    'forgets a session changed by %s through it at once, without waiting for the channel',
    async (_, write, expected) => {
      const session = await cached();
      await write(session);
      const live = await cache.readLive(session.sessionId, now);
      const changed = expected(session);
      if (changed === null) expect(live).toBeNull();
      else expect(live).toMatchObject(changed);
    },
  );

  it('forgets what a write may have changed even when the write fails', async () => {
    const session = await cached();
    inner.revoke = async (sessionId) => {
      await MemorySessionRepository.prototype.revoke.call(inner, sessionId);
      throw new Error('the answer was lost');
    };
    await expect(cache.revoke(session.sessionId)).rejects.toThrow('the answer was lost');
    await expect(cache.readLive(session.sessionId, now)).resolves.toBeNull();
  });

  it('forgets what its feed says changed: a session, a user’s sessions, or anything', async () => {
    const userId = `{feed}:${randomId().slice(0, 6)}`;
    const [one, two] = [await cached({ userId }), await cached({ userId })];
    const bystander = await cached();

    inner.feed.changed({ sessionId: one.sessionId });
    expect(await readsOf(one.sessionId)).toBe(1);
    expect(await readsOf(two.sessionId)).toBe(0);

    inner.feed.changed({ userId });
    expect(await readsOf(one.sessionId)).toBe(1);
    expect(await readsOf(two.sessionId)).toBe(1);
    expect(await readsOf(bystander.sessionId)).toBe(0);

    inner.feed.changed(null);
    expect(await readsOf(bystander.sessionId)).toBe(1);
  });

  it('reads the store on every request while its feed is disconnected, and forgets all it held', async () => {
    const problems = captureWarnings();
    try {
      const session = await cached();
      inner.feed.connected(false);
      expect(cache.connected).toBe(false);
      await inner.revoke(session.sessionId); // a change nobody announced

      await expect(cache.readLive(session.sessionId, now)).resolves.toBeNull();
      const other = record({ createdAt: now });
      await inner.create(other, 0);
      expect(await readsOf(other.sessionId)).toBe(1);
      expect(await readsOf(other.sessionId)).toBe(1);

      inner.feed.connected(true);
      expect(await readsOf(other.sessionId)).toBe(1);
      expect(await readsOf(other.sessionId)).toBe(0);
      expect(problems.lines).toEqual(['Revocation channel lost: reading every session from Redis']);
    } finally {
      problems.restore();
    }
  });

  it('keeps an entry no longer than the session lives', async () => {
    const session = await cached({ idleExpiresAt: now + 500 });
    expect(await readsOf(session.sessionId, now + 499)).toBe(0);
    await expect(cache.readLive(session.sessionId, now + 500)).resolves.toBeNull();
  });

  it('keeps an entry no longer than cacheMs', async () => {
    const session = await cached();
    expect(await readsOf(session.sessionId, now + MINUTE - 1)).toBe(0);
    expect(await readsOf(session.sessionId, now + MINUTE)).toBe(1);
    expect(await readsOf(session.sessionId, now + MINUTE + 1)).toBe(0);
  });

  it('holds at most maxEntries sessions, dropping the least recently used', async () => {
    await cache.stop();
    cache = new LiveSessionCache(inner, { cacheMs: MINUTE, maxEntries: 2 });
    await cache.start();
    const [a, b] = [await cached(), await cached()];
    expect(await readsOf(a.sessionId)).toBe(0); // a is now the most recently used

    const c = await cached();

    expect(await readsOf(a.sessionId)).toBe(0);
    expect(await readsOf(c.sessionId)).toBe(0);
    expect(await readsOf(b.sessionId)).toBe(1);
  });

  it.each([
    ['a change told by the feed', (id: string) => inner.feed.changed({ sessionId: id })],
    ['a change told about another session', () => inner.feed.changed({ sessionId: 'other' })],
    ['a write through the cache', (id: string) => void cache.markFresh(id, now + 1, now + 1)],
  ])('does not keep a read that raced with %s', async (_, change) => {
    const session = record({ createdAt: now });
    await inner.create(session, 0);
    const release = inner.hold();
    const reading = cache.readLive(session.sessionId, now);
    await Promise.resolve();
    change(session.sessionId);
    release();
    await expect(reading).resolves.not.toBeNull();

    expect(await readsOf(session.sessionId)).toBe(1);
    expect(await readsOf(session.sessionId)).toBe(0);
  });

  it('never keeps an absence', async () => {
    const session = record({ createdAt: now });
    await expect(cache.readLive(session.sessionId, now)).resolves.toBeNull();
    await inner.create(session, 0); // made elsewhere: announced by nobody here
    await expect(cache.readLive(session.sessionId, now)).resolves.not.toBeNull();
  });

  it('hands out frozen views: changing an answer throws and does not change what it serves', async () => {
    const session = await cached();
    const live = await cache.readLive(session.sessionId, now);
    if (!live) throw new Error('not live');
    expect(() => {
      live.claims.tenant = 'tampered';
    }).toThrow(TypeError);
    expect(() => {
      live.role = 'admin';
    }).toThrow(TypeError);
    await expect(cache.readLive(session.sessionId, now)).resolves.toMatchObject({
      role: 'user',
      claims: { tenant: 't-1' },
    });
  });

  it("leaves the inner repository's own answer as it was (a custom store may keep that object)", async () => {
    const session = record({ createdAt: now });
    await inner.create(session, 0);
    let kept: LiveSession | null = null;
    const read = inner.readLive.bind(inner);
    inner.readLive = async (sessionId, at) => (kept = await read(sessionId, at));
    const served = await cache.readLive(session.sessionId, now);
    expect(served).toEqual(kept);
    expect(served).not.toBe(kept);
    expect(Object.isFrozen(served)).toBe(true);
    if (!kept) throw new Error('not live');
    const own: LiveSession = kept;
    expect(Object.isFrozen(own)).toBe(false);
    expect(Object.isFrozen(own.claims)).toBe(false);
  });

  it('serves nothing from memory before start() nor after stop()', async () => {
    const idle = new LiveSessionCache(inner, { cacheMs: MINUTE, maxEntries: 10 });
    const session = record({ createdAt: now });
    await inner.create(session, 0);
    for (let i = 0; i < 2; i += 1) {
      const before = inner.reads;
      await idle.readLive(session.sessionId, now);
      expect(inner.reads - before).toBe(1);
    }

    await cached({ userId: session.userId });
    await cache.stop();
    expect(cache.connected).toBe(false);
    expect(await readsOf(session.sessionId)).toBe(1);
    expect(await readsOf(session.sessionId)).toBe(1);
  });

  it('passes the inner repository’s expiry reports to its own listeners', async () => {
    const reports: ExpiredSession[] = [];
    const stop = cache.onExpired((expired) => reports.push(...expired));
    const session = record({ createdAt: now });
    await cache.create(session, 0);

    await cache.get(session.sessionId, session.idleExpiresAt);
    stop();
    const later = record({ createdAt: now });
    await inner.create(later, 0);
    await inner.get(later.sessionId, later.idleExpiresAt); // reported to nobody now

    expect(reports).toEqual([
      {
        sessionId: session.sessionId,
        userId: session.userId,
        reason: 'idle',
        expiredAt: session.idleExpiresAt,
      },
    ]);
  });

  it('is a repository: reads and writes reach the inner one', async () => {
    const session = record({ createdAt: now });
    await cache.create(session, 0);
    await expect(inner.get(session.sessionId, now)).resolves.not.toBeNull();
    await expect(cache.get(session.sessionId, now)).resolves.toEqual(
      await inner.get(session.sessionId, now),
    );
    await expect(cache.list(session.userId, now)).resolves.toHaveLength(1);
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('gives the inner repository’s change feed', () => {
    expect(cache.changeFeed()).toBe(inner.changeFeed());
  });

  it('refuses to start over a repository without a change feed', async () => {
    const plain: SessionRepository = new MemorySessionRepository();
    await expect(
      new LiveSessionCache(plain, { cacheMs: MINUTE, maxEntries: 10 }).start(),
    ).rejects.toThrow('LiveSessionCache needs a repository with a change feed');
  });
});

/** Keeps the warnings logged through Nest's `Logger` until `restore()`. */
function captureWarnings(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: (message: unknown) => lines.push(String(message)),
    warn: (message: unknown) => lines.push(String(message)),
  };
  Logger.overrideLogger(logger);
  return { lines, restore: () => Logger.overrideLogger(new ConsoleLogger()) };
}
