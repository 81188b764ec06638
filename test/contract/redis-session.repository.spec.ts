import { Redis } from 'ioredis';
import { RedisSessionRepository } from '../../src/store/redis/redis-session.repository.js';
import type { ExpiredSession } from '../../src/store/session-record.js';
import { encodeUserId, parseSessionId, randomId } from '../../src/store/session-id.js';
import { createTestClient, deleteByPrefix, scanByPrefix, uniquePrefix } from '../support/redis.js';
import {
  describeSessionRepository,
  freshUserId,
  sessionRecord,
} from './session-repository.contract.js';

const HOUR = 3_600_000;

describeSessionRepository('RedisSessionRepository', async () => {
  const client = createTestClient();
  const keyPrefix = uniquePrefix('redis-repo-contract');
  return {
    repo: new RedisSessionRepository(client, { keyPrefix }),
    async cleanup() {
      await deleteByPrefix(client, keyPrefix);
      await client.quit();
    },
  };
});

describe('RedisSessionRepository in Redis', () => {
  let client: Redis;
  let keyPrefix: string;
  let repo: RedisSessionRepository;

  beforeEach(() => {
    client = createTestClient();
    keyPrefix = uniquePrefix('redis-repo-layout');
    repo = new RedisSessionRepository(client, { keyPrefix });
  });

  afterEach(async () => {
    await deleteByPrefix(client, keyPrefix);
    await client.quit();
  });

  function keysOf(sessionId: string): { session: string; index: string; tag: string } {
    const parts = parseSessionId(sessionId);
    if (!parts) throw new Error(`not a session id: ${sessionId}`);
    const tag = `${keyPrefix}{${encodeUserId(parts.userId)}}:`;
    return { session: `${tag}${parts.randomPart}`, index: `${tag}index`, tag };
  }

  it('stores a session as a HASH and the user index as a ZSET under the hash-tagged user id', async () => {
    const record = sessionRecord({ userId: `{weird}:user ü ${randomId().slice(0, 6)}` });
    await repo.create(record, 0);
    const keys = keysOf(record.sessionId);

    await expect(client.type(keys.session)).resolves.toBe('hash');
    await expect(client.type(keys.index)).resolves.toBe('zset');
    await expect(client.zcard(keys.index)).resolves.toBe(1);
    // Nothing else under the prefix: one session key and one index.
    await expect(scanByPrefix(client, keyPrefix).then((k) => k.sort())).resolves.toEqual(
      [keys.session, keys.index].sort(),
    );
  });

  it.each([
    ['the idle expiry comes first', HOUR, 24 * HOUR],
    ['the absolute expiry comes first', 24 * HOUR, HOUR],
  ])('gives both keys a TTL that ends with the session when %s', async (_, idle, absolute) => {
    const createdAt = Date.now();
    const record = sessionRecord({
      createdAt,
      idleExpiresAt: createdAt + idle,
      absoluteExpiresAt: createdAt + absolute,
    });
    const expiresAt = Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
    await repo.create(record, 0);
    const keys = keysOf(record.sessionId);

    const before = Date.now();
    const sessionTtl = await client.pttl(keys.session);
    const indexTtl = await client.pttl(keys.index);
    const after = Date.now();

    expect(sessionTtl).toBeGreaterThan(0);
    expect(sessionTtl).toBeLessThanOrEqual(expiresAt - before);
    expect(sessionTtl).toBeGreaterThanOrEqual(expiresAt - after - 1000);
    expect(indexTtl).toBeGreaterThan(0);
    expect(indexTtl).toBeLessThanOrEqual(record.absoluteExpiresAt - before);
  });

  it('keeps a session with a browser-sized user agent in the compact listpack encoding', async () => {
    // A 100-200 byte user agent in one field would exceed hash-max-listpack-value (64 bytes) and
    // turn the hash into a hashtable, doubling its memory: it is stored in 64-byte pieces.
    const userAgent =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
      'Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 ünï';
    const record = sessionRecord({ userAgent, claims: {} });
    await repo.create(record, 0);
    const { session } = keysOf(record.sessionId);
    await expect(client.object('ENCODING', session)).resolves.toBe('listpack');
    await expect(repo.get(record.sessionId, record.createdAt)).resolves.toMatchObject({
      userAgent,
    });

    const rotated = await repo.rotate({
      sessionId: record.sessionId,
      presentedJti: record.currentJti,
      nextJti: randomId(),
      now: record.createdAt + 1,
      graceMs: 0,
      idleMs: HOUR,
      userAgent: 'short agent',
      ip: '10.0.0.9',
    });
    expect(rotated).toMatchObject({ status: 'rotated', record: { userAgent: 'short agent' } });
    await expect(repo.get(record.sessionId, record.createdAt + 2)).resolves.toMatchObject({
      userAgent: 'short agent',
    });
    await expect(client.object('ENCODING', session)).resolves.toBe('listpack');
  });

  it.each([
    ['unknown text longer than four pieces, with multi-byte characters', 'ü€😀x'.repeat(60)],
    ['control characters, which the compact form uses', 'a\x01b\tc\x00d Chrome/1'],
    [
      'a known browser',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15',
    ],
    ['nothing', ''],
  ])('gives back a user agent of %s exactly, after create and rotate', async (_, userAgent) => {
    const record = sessionRecord({ userAgent });
    await repo.create(record, 0);
    await expect(repo.get(record.sessionId, record.createdAt)).resolves.toMatchObject({
      userAgent,
    });
    const rotated = await repo.rotate({
      sessionId: record.sessionId,
      presentedJti: record.currentJti,
      nextJti: randomId(),
      now: record.createdAt + 1,
      graceMs: 0,
      idleMs: HOUR,
      userAgent: `${userAgent}!`,
      ip: '10.0.0.9',
    });
    expect(rotated).toMatchObject({ status: 'rotated', record: { userAgent: `${userAgent}!` } });
    await expect(repo.list(record.userId, record.createdAt + 2)).resolves.toMatchObject([
      { userAgent: `${userAgent}!` },
    ]);
  });

  it('reads a hash that lacks a field every session has as no session, never failing', async () => {
    for (const field of ['j', 'ie', 'ae', 'ca', 'ls']) {
      const record = sessionRecord();
      await repo.create(record, 0);
      await client.hdel(keysOf(record.sessionId).session, field);

      const now = record.createdAt + 1;
      await expect(repo.get(record.sessionId, now)).resolves.toBeNull();
      await expect(repo.list(record.userId, now)).resolves.toEqual([]);
      if (['ie', 'ae', 'ca'].includes(field)) {
        await expect(repo.readLive(record.sessionId, now)).resolves.toBeNull();
      }
    }
  });

  it.each([
    ['not JSON', '{"tenant":'],
    ['a JSON array', '["a","b"]'],
    ['a JSON string', '"tenant"'],
    ['JSON null', 'null'],
  ])('reads stored claims that are %s as no claims, never failing', async (_, stored) => {
    const record = sessionRecord();
    await repo.create(record, 0);
    await client.hset(keysOf(record.sessionId).session, 'c', stored);

    const now = record.createdAt + 1;
    await expect(repo.get(record.sessionId, now)).resolves.toEqual({
      ...record,
      claims: {},
      previousJti: '',
      previousRetiredAt: 0,
    });
    await expect(repo.readLive(record.sessionId, now)).resolves.toMatchObject({ claims: {} });
  });

  it('keeps only the flat values of stored claims', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    const stored = JSON.stringify({
      ok: 'yes',
      n: 1,
      b: true,
      nested: { a: 1 },
      list: [1],
      no: null,
    });
    await client.hset(keysOf(record.sessionId).session, 'c', stored);

    await expect(repo.readLive(record.sessionId, record.createdAt + 1)).resolves.toMatchObject({
      claims: { ok: 'yes', n: 1, b: true },
    });
    const live = await repo.readLive(record.sessionId, record.createdAt + 1);
    expect(Object.keys(live?.claims ?? {}).sort()).toEqual(['b', 'n', 'ok']);
  });

  it('stores no claims and no role as absent fields, and claims as JSON', async () => {
    const bare = sessionRecord({ role: undefined, claims: {} });
    const full = sessionRecord({ role: 'admin', claims: { tenant: 't-1' } });
    await repo.create(bare, 0);
    await repo.create(full, 0);

    await expect(client.hmget(keysOf(bare.sessionId).session, 'r', 'c')).resolves.toEqual([
      null,
      null,
    ]);
    await expect(client.hmget(keysOf(full.sessionId).session, 'r', 'c')).resolves.toEqual([
      'admin',
      '{"tenant":"t-1"}',
    ]);
  });

  it('scores an index entry by its expiry, plus 0.5 when the absolute expiry ends it', async () => {
    const createdAt = Date.now();
    const idleFirst = sessionRecord({ createdAt, idleExpiresAt: createdAt + HOUR });
    const absoluteFirst = sessionRecord({
      userId: idleFirst.userId,
      createdAt,
      idleExpiresAt: createdAt + 3 * HOUR,
      absoluteExpiresAt: createdAt + 2 * HOUR,
    });
    await repo.create(idleFirst, 0);
    await repo.create(absoluteFirst, 0);
    const { index } = keysOf(idleFirst.sessionId);
    const member = (id: string) => parseSessionId(id)!.randomPart;

    await expect(client.zscore(index, member(idleFirst.sessionId))).resolves.toBe(
      String(createdAt + HOUR),
    );
    await expect(client.zscore(index, member(absoluteFirst.sessionId))).resolves.toBe(
      `${createdAt + 2 * HOUR}.5`,
    );
    // The index TTL is whole milliseconds, never past the latest absolute expiry.
    expect(await client.pttl(index)).toBeLessThanOrEqual(2 * HOUR);
  });

  it.each(['list', 'revokeAll', 'create', 'revoke'] as const)(
    'reports a session whose hash Redis expired before the caller’s clock got there (%s)',
    async (how) => {
      const createdAt = Date.now();
      const record = sessionRecord({
        createdAt,
        idleExpiresAt: createdAt + 2 * HOUR,
        absoluteExpiresAt: createdAt + HOUR,
      });
      const keep = sessionRecord({ userId: record.userId, createdAt });
      await repo.create(record, 0);
      await repo.create(keep, 0);
      // What Redis's own expiry does, on a Redis clock ahead of ours: the hash goes, the entry stays.
      await client.del(keysOf(record.sessionId).session);
      const reports: ExpiredSession[] = [];
      const stop = repo.onExpired((expired) => reports.push(...expired));
      try {
        if (how === 'list') await repo.list(record.userId, createdAt + 1);
        if (how === 'revokeAll') await repo.revokeAll(record.userId, keep.sessionId);
        if (how === 'revoke') await expect(repo.revoke(record.sessionId)).resolves.toBe(false);
        if (how === 'create') {
          await repo.create(sessionRecord({ userId: record.userId, createdAt: createdAt + 1 }), 1);
        }
        await repo.list(record.userId, createdAt + 2);

        expect(reports.filter((r) => r.sessionId === record.sessionId)).toEqual([
          {
            sessionId: record.sessionId,
            userId: record.userId,
            reason: 'absolute',
            expiredAt: record.absoluteExpiresAt,
          },
        ]);
      } finally {
        stop();
      }
    },
  );

  it('never creates a key when marking fresh or updating claims of an absent session', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    await repo.revoke(record.sessionId);
    const absent = keysOf(record.sessionId).session;

    await repo.markFresh(record.sessionId, Date.now(), Date.now());
    await repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, Date.now());
    await repo.updateClaims({ userId: record.userId }, { role: 'admin' }, Date.now());

    await expect(client.exists(absent)).resolves.toBe(0);
    await expect(scanByPrefix(client, keysOf(record.sessionId).tag)).resolves.toEqual([]);
  });

  it('leaves no key behind when markFresh and updateClaims race the revocation of every session', async () => {
    const userId = `racer-${randomId().slice(0, 8)}`;
    const records = Array.from({ length: 10 }, () => sessionRecord({ userId }));
    for (const record of records) await repo.create(record, 0);
    const now = Date.now();

    await Promise.all([
      ...records.flatMap((record) => [
        repo.markFresh(record.sessionId, now, now),
        repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, now),
      ]),
      repo.revokeAll(userId),
      ...records.flatMap((record) => [
        repo.updateClaims({ userId }, { claims: {} }, now),
        repo.markFresh(record.sessionId, now, now),
      ]),
    ]);

    await expect(scanByPrefix(client, keysOf(records[0].sessionId).tag)).resolves.toEqual([]);
  });

  it('keeps the TTL of a session when marking it fresh or updating its claims', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    const { session } = keysOf(record.sessionId);
    const before = await client.pexpiretime(session);

    await repo.markFresh(record.sessionId, Date.now(), Date.now());
    await repo.updateClaims({ userId: record.userId }, { claims: {} }, Date.now());

    await expect(client.pexpiretime(session)).resolves.toBe(before);
    expect(before).toBe(Math.min(record.idleExpiresAt, record.absoluteExpiresAt));
  });

  it('never lets a rotation push the TTL past the absolute expiry', async () => {
    const createdAt = Date.now();
    const record = sessionRecord({
      createdAt,
      idleExpiresAt: createdAt + HOUR,
      absoluteExpiresAt: createdAt + 2 * HOUR,
    });
    await repo.create(record, 0);
    const keys = keysOf(record.sessionId);

    const result = await repo.rotate({
      sessionId: record.sessionId,
      presentedJti: record.currentJti,
      nextJti: randomId(),
      now: createdAt + 30 * 60_000,
      graceMs: 0,
      idleMs: 10 * HOUR,
      userAgent: 'ua',
      ip: '127.0.0.1',
    });
    expect(result.status).toBe('rotated');

    const before = Date.now();
    const sessionTtl = await client.pttl(keys.session);
    const indexTtl = await client.pttl(keys.index);
    expect(sessionTtl).toBeGreaterThan(HOUR); // extended from the first idle expiry
    expect(sessionTtl).toBeLessThanOrEqual(record.absoluteExpiresAt - before);
    expect(indexTtl).toBeGreaterThan(0);
    expect(indexTtl).toBeLessThanOrEqual(record.absoluteExpiresAt - before);
  });

  it('leaves no key of the user behind after revokeAll', async () => {
    const userId = freshUserId('{all}:');
    const records = [
      sessionRecord({ userId }),
      sessionRecord({ userId }),
      sessionRecord({ userId }),
    ];
    for (const record of records) await repo.create(record, 0);
    const { tag } = keysOf(records[0].sessionId);
    await expect(scanByPrefix(client, tag)).resolves.toHaveLength(4);

    await expect(repo.revokeAll(userId)).resolves.toHaveLength(3);

    await expect(scanByPrefix(client, tag)).resolves.toEqual([]);
  });

  it('leaves no key of the user behind after a replayed jti deletes the only session', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);

    const result = await repo.rotate({
      sessionId: record.sessionId,
      presentedJti: randomId(),
      nextJti: randomId(),
      now: record.createdAt + 1000,
      graceMs: 10_000,
      idleMs: HOUR,
      userAgent: 'ua',
      ip: '127.0.0.1',
    });

    expect(result).toEqual({ status: 'reused', userId: record.userId });
    await expect(scanByPrefix(client, keysOf(record.sessionId).tag)).resolves.toEqual([]);
  });

  it('removes an expired session from Redis on its own, without any call', async () => {
    const createdAt = Date.now();
    const record = sessionRecord({ createdAt, idleExpiresAt: createdAt + 300 });
    await repo.create(record, 0);
    const keys = keysOf(record.sessionId);
    await expect(client.exists(keys.session)).resolves.toBe(1);

    const deadline = Date.now() + 3000;
    while ((await client.exists(keys.session)) === 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25)); // polling interval, not a wait
    }

    await expect(client.exists(keys.session)).resolves.toBe(0);
    expect(Date.now()).toBeGreaterThanOrEqual(record.idleExpiresAt);
    await expect(client.exists(keys.index)).resolves.toBe(0);
  });
});
