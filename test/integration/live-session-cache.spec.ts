import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import { LiveSessionCache } from '../../src/store/live-session-cache.js';
import { RedisSessionRepository } from '../../src/store/redis/redis-session.repository.js';
import { parseSessionId, randomId } from '../../src/store/session-id.js';
import type { LiveSession, NewSessionRecord } from '../../src/store/session-record.js';
import { deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { freshUserId, sessionRecord } from '../contract/session-repository.contract.js';

const HOUR = 3_600_000;

/** A Redis repository that counts the reads of `readLive` reaching Redis. */
class CountingRedisRepository extends RedisSessionRepository {
  reads = 0;
  override async readLive(sessionId: string, now: number): Promise<LiveSession | null> {
    this.reads += 1;
    return super.readLive(sessionId, now);
  }
}

/** Polls `check` until it holds (at most `timeoutMs`); answers how long that took. */
async function within(timeoutMs: number, check: () => boolean | Promise<boolean>) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5)); // polling interval, not a wait
  }
  return Date.now() - start;
}

/**
 * Two instances on one Redis: `cache` (this instance, revocation.cacheMs > 0) and `elsewhere`
 * (another instance, no cache: it only writes). What `elsewhere` changes reaches the cache
 * through the announcements its scripts publish.
 */
describe('LiveSessionCache over Redis, changes made by another instance', () => {
  const name = `cache-${randomId().slice(0, 10)}`;
  let keyPrefix: string;
  let clients: Redis[];
  let inner: CountingRedisRepository;
  let cache: LiveSessionCache;
  let elsewhere: RedisSessionRepository;

  beforeEach(async () => {
    keyPrefix = uniquePrefix('live-cache');
    clients = [
      new Redis(redisUrl(), { maxRetriesPerRequest: 1, connectionName: name }),
      new Redis(redisUrl(), { maxRetriesPerRequest: 1 }),
    ];
    inner = new CountingRedisRepository(clients[0], { keyPrefix });
    elsewhere = new RedisSessionRepository(clients[1], { keyPrefix });
    cache = new LiveSessionCache(inner, { cacheMs: 60_000, maxEntries: 1000 });
    await cache.start();
    expect(cache.connected).toBe(true);
  });

  afterEach(async () => {
    await cache.stop();
    await deleteByPrefix(clients[1], keyPrefix);
    await Promise.all(clients.map((client) => client.quit()));
  });

  /** A session made elsewhere, read here twice: served from memory the second time. */
  async function cachedHere(overrides: Partial<NewSessionRecord> = {}) {
    const record = sessionRecord(overrides);
    await elsewhere.create(record, 0);
    const before = inner.reads;
    await cache.readLive(record.sessionId, record.createdAt);
    await expect(cache.readLive(record.sessionId, record.createdAt)).resolves.not.toBeNull();
    expect(inner.reads - before).toBe(1);
    return record;
  }

  it.each<
    [
      string,
      (r: NewSessionRecord) => Promise<unknown>,
      (l: LiveSession | null, r: NewSessionRecord) => boolean,
    ]
  >([
    ['revoke', (r) => elsewhere.revoke(r.sessionId), (l) => l === null],
    ['revokeAll', (r) => elsewhere.revokeAll(r.userId), (l) => l === null],
    [
      'a replayed refresh jti',
      (r) =>
        elsewhere.rotate({
          sessionId: r.sessionId,
          presentedJti: randomId(),
          nextJti: randomId(),
          now: r.createdAt + 1,
          graceMs: 0,
          idleMs: HOUR,
          userAgent: 'ua',
          ip: '127.0.0.1',
        }),
      (l) => l === null,
    ],
    [
      'a login that evicts it',
      (r) => elsewhere.create(sessionRecord({ userId: r.userId, createdAt: r.createdAt + 1 }), 1),
      (l) => l === null,
    ],
    [
      'markFresh',
      (r) => elsewhere.markFresh(r.sessionId, r.createdAt + 7, r.createdAt),
      (l, r) => l?.authenticatedAt === r.createdAt + 7,
    ],
    [
      'updateClaims of the session',
      (r) => elsewhere.updateClaims({ sessionId: r.sessionId }, { role: 'admin' }, r.createdAt),
      (l) => l?.role === 'admin',
    ],
    [
      'updateClaims of the user',
      (r) => elsewhere.updateClaims({ userId: r.userId }, { role: null }, r.createdAt),
      (l) => l !== null && l.role === undefined,
    ],
  ])('sees %s made by an instance without a cache within milliseconds', async (_, change, seen) => {
    const record = await cachedHere({ userId: freshUserId('{other}'), authenticatedAt: 1_000 });
    await change(record);
    const elapsed = await within(1000, async () =>
      seen(await cache.readLive(record.sessionId, record.createdAt), record),
    );
    expect(elapsed).toBeLessThan(1000);
  });

  it('reads Redis on every request while its channel is down, and serves from memory once back', async () => {
    const problems: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      error: (message: unknown) => problems.push(String(message)),
      warn: (message: unknown) => problems.push(String(message)),
    };
    Logger.overrideLogger(logger);
    try {
      const record = await cachedHere();
      const list = String(await clients[1].client('LIST'));
      const subscriber = list
        .split('\n')
        .find((l) => l.includes(` name=${name} `) && / sub=1 /.test(l));
      const id = /\bid=(\d+)/.exec(subscriber ?? '')?.[1];
      if (!id) throw new Error('no subscribed connection found');

      await clients[1].client('KILL', 'ID', id);
      await within(2000, () => !cache.connected);
      // A revocation nobody announces: deleted straight in Redis.
      const parts = parseSessionId(record.sessionId)!;
      await clients[1].del(`${keyPrefix}{${parts.userPart}}:${parts.randomPart}`);
      await expect(cache.readLive(record.sessionId, record.createdAt)).resolves.toBeNull();

      await within(5000, () => cache.connected);
      const fresh = await cachedHere();
      expect(fresh).toBeDefined();
      expect(problems).toEqual(['Revocation channel lost: reading every session from Redis']);
      expect(problems.join(' ')).not.toContain(parts.randomPart);
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
  });

  it('serves an unannounced revocation for at most cacheMs (the bound when an announcement is lost)', async () => {
    await cache.stop();
    cache = new LiveSessionCache(inner, { cacheMs: 300, maxEntries: 1000 });
    await cache.start();
    const record = await cachedHere();
    const parts = parseSessionId(record.sessionId)!;
    await clients[1].del(`${keyPrefix}{${parts.userPart}}:${parts.randomPart}`);

    await expect(cache.readLive(record.sessionId, record.createdAt + 299)).resolves.not.toBeNull();
    await expect(cache.readLive(record.sessionId, record.createdAt + 300)).resolves.toBeNull();
  });
});
