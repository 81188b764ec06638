import { Redis } from 'ioredis';
import { parseChange } from '../../src/store/redis/redis-session.channel.js';
import { RedisSessionRepository } from '../../src/store/redis/redis-session.repository.js';
import { encodeUserId, randomId } from '../../src/store/session-id.js';
import type { SessionChange, SessionChangeListener } from '../../src/store/session-record.js';
import { hear, type HeardChannel } from '../support/channel.js';
import { deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { freshUserId, sessionRecord } from './session-repository.contract.js';

const HOUR = 3_600_000;

/** The raw announcements the scripts publish, heard by a plain subscriber. */
describe('RedisSessionRepository announcements on <keyPrefix>revocations', () => {
  let client: Redis;
  let keyPrefix: string;
  let repo: RedisSessionRepository;
  let heard: HeardChannel;

  beforeEach(async () => {
    client = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    keyPrefix = uniquePrefix('announce');
    repo = new RedisSessionRepository(client, { keyPrefix });
    heard = await hear(new Redis(redisUrl()), `${keyPrefix}revocations`);
  });

  afterEach(async () => {
    heard.stop();
    await deleteByPrefix(client, keyPrefix);
    await client.quit();
  });

  const announced = (): Promise<string[]> => heard.drain(client);
  const user = (userId: string): string => `u:${encodeUserId(userId)}`;

  function rotation(record: ReturnType<typeof sessionRecord>, presentedJti: string, now: number) {
    return {
      sessionId: record.sessionId,
      presentedJti,
      nextJti: randomId(),
      now,
      graceMs: 10_000,
      idleMs: HOUR,
      userAgent: 'ua',
      ip: '127.0.0.1',
    };
  }

  it('announces a revocation, and nothing for one that deleted nothing', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    await expect(announced()).resolves.toEqual([]); // a login ends nothing

    await expect(repo.revoke(record.sessionId)).resolves.toBe(true);
    await expect(announced()).resolves.toEqual([`s:${record.sessionId}`]);

    await expect(repo.revoke(record.sessionId)).resolves.toBe(false);
    await expect(repo.revoke(sessionRecord().sessionId)).resolves.toBe(false);
    await expect(repo.revoke('not-a-session-id')).resolves.toBe(false);
    await expect(announced()).resolves.toEqual([]);
  });

  it('announces revokeAll once for the user, and nothing when no session was ended', async () => {
    const userId = `{odd}:ü ${randomId().slice(0, 6)}`;
    const [keep, ...others] = [
      sessionRecord({ userId }),
      sessionRecord({ userId }),
      sessionRecord({ userId }),
    ];
    for (const record of [keep, ...others]) await repo.create(record, 0);

    await expect(repo.revokeAll(userId, keep.sessionId)).resolves.toHaveLength(2);
    await expect(announced()).resolves.toEqual([user(userId)]);

    await expect(repo.revokeAll(freshUserId('nobody'))).resolves.toEqual([]);
    await expect(announced()).resolves.toEqual([]);
    await expect(repo.revokeAll(userId, keep.sessionId)).resolves.toEqual([]);
    await expect(announced()).resolves.toEqual([]);
  });

  it('announces each session a login evicts, and nothing for a login within the limit', async () => {
    const userId = freshUserId();
    const t0 = Date.now();
    const records = [0, 1, 2].map((i) => sessionRecord({ userId, createdAt: t0 + i }));
    for (const record of records) await repo.create(record, 3);
    await expect(announced()).resolves.toEqual([]);

    const evicted = await repo.create(sessionRecord({ userId, createdAt: t0 + 3 }), 2);

    expect(evicted).toEqual([records[0].sessionId, records[1].sessionId]);
    await expect(announced()).resolves.toEqual(evicted.map((id) => `s:${id}`));
  });

  it('announces a session deleted for a replayed refresh jti, and nothing for a rotation, a grace answer or a miss', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    const now = record.createdAt + 1000;

    const first = await repo.rotate(rotation(record, record.currentJti, now));
    expect(first.status).toBe('rotated');
    await expect(repo.rotate(rotation(record, record.currentJti, now + 1))).resolves.toMatchObject({
      status: 'grace',
    });
    await expect(repo.rotate(rotation(sessionRecord(), randomId(), now))).resolves.toEqual({
      status: 'missing',
    });
    await expect(announced()).resolves.toEqual([]);

    await expect(repo.rotate(rotation(record, randomId(), now + 2))).resolves.toMatchObject({
      status: 'reused',
    });
    await expect(announced()).resolves.toEqual([`s:${record.sessionId}`]);
  });

  it('announces markFresh of a live session, and nothing for an absent or expired one', async () => {
    const record = sessionRecord();
    const revoked = sessionRecord({ userId: record.userId });
    await repo.create(record, 0);
    await repo.create(revoked, 0);
    await repo.revoke(revoked.sessionId);
    await announced();
    const now = record.createdAt + 1000;

    await expect(repo.markFresh(record.sessionId, now, now)).resolves.toBe(true);
    await expect(announced()).resolves.toEqual([`s:${record.sessionId}`]);

    await expect(repo.markFresh(revoked.sessionId, now, now)).resolves.toBe(false);
    const late = record.idleExpiresAt;
    await expect(repo.markFresh(record.sessionId, late, late)).resolves.toBe(false);
    await expect(repo.markFresh('garbage', now, now)).resolves.toBe(false);
    await expect(announced()).resolves.toEqual([]);
  });

  it('announces updateClaims of a session or of a user, and nothing when no live session changed', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    const now = record.createdAt + 1000;

    await expect(
      repo.updateClaims({ sessionId: record.sessionId }, { role: 'admin' }, now),
    ).resolves.toBe(1);
    await expect(announced()).resolves.toEqual([`s:${record.sessionId}`]);
    await expect(
      repo.updateClaims({ userId: record.userId }, { claims: { tenant: 't-9' } }, now),
    ).resolves.toBe(1);
    await expect(announced()).resolves.toEqual([user(record.userId)]);

    await expect(
      repo.updateClaims({ userId: freshUserId('nobody') }, { role: 'x' }, now),
    ).resolves.toBe(0);
    await expect(
      repo.updateClaims({ sessionId: sessionRecord().sessionId }, { role: 'x' }, now),
    ).resolves.toBe(0);
    await expect(
      repo.updateClaims({ userId: record.userId }, { role: 'x' }, record.idleExpiresAt),
    ).resolves.toBe(0);
    await expect(repo.updateClaims({ sessionId: record.sessionId }, {}, now)).resolves.toBe(1);
    await expect(announced()).resolves.toEqual([]);
  });

  it('announces nothing when reading', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);
    const now = record.createdAt + 1000;
    await repo.get(record.sessionId, now);
    await repo.readLive(record.sessionId, now);
    await repo.list(record.userId, now);
    await repo.list(record.userId, record.idleExpiresAt); // prunes an expired session
    await expect(announced()).resolves.toEqual([]);
  });
});

describe('parseChange', () => {
  const sessionId = sessionRecord({ userId: '{ü}:x' }).sessionId;

  it.each<[string, string, SessionChange]>([
    ['a session', `s:${sessionId}`, { sessionId }],
    ['a user', `u:${encodeUserId('{ü}:x')}`, { userId: '{ü}:x' }],
    ['a malformed session id', 's:not-a-session-id', null],
    ['a non-canonical user part', `u:${encodeUserId('user')}=`, null],
    ['an empty user part', 'u:', null],
    ['an unknown kind', 'x:anything', null],
    ['nothing', '', null],
  ])('reads %s', (_, message, expected) => {
    expect(parseChange(message)).toEqual(expected);
  });
});

/** What a change-feed listener was told, in order. */
function recorder() {
  const connected: boolean[] = [];
  const changes: SessionChange[] = [];
  const listener: SessionChangeListener = {
    changed: (change) => changes.push(change),
    connected: (up) => connected.push(up),
  };
  return { connected, changes, listener };
}

/** Polls `check` until it holds (at most `timeoutMs`). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10)); // polling interval, not a wait
  }
}

describe('RedisSessionRepository.changeFeed()', () => {
  let name: string;
  let client: Redis;
  let other: Redis;
  let keyPrefix: string;
  let repo: RedisSessionRepository;
  /** Another instance on the same store, with no cache of its own. */
  let elsewhere: RedisSessionRepository;
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    name = `feed-${randomId().slice(0, 10)}`;
    client = new Redis(redisUrl(), { maxRetriesPerRequest: 1, connectionName: name });
    other = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    keyPrefix = uniquePrefix('feed');
    repo = new RedisSessionRepository(client, { keyPrefix });
    elsewhere = new RedisSessionRepository(other, { keyPrefix });
  });

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await deleteByPrefix(client, keyPrefix);
    await Promise.all([client.quit(), other.quit()]);
  });

  /** The server's connections named as this test's client (its duplicates keep the name). */
  async function connectionsNamed(): Promise<string[]> {
    const list = String(await other.client('LIST'));
    return list.split('\n').filter((line) => line.includes(` name=${name} `));
  }

  async function subscribers(): Promise<number> {
    const [, count] = await other.pubsub('NUMSUB', `${keyPrefix}revocations`);
    return Number(count);
  }

  async function subscribe(listener: SessionChangeListener): Promise<() => Promise<void>> {
    const stop = await repo.changeFeed().subscribe(listener);
    stops.push(stop);
    return stop;
  }

  it('opens no connection until someone subscribes', async () => {
    await client.ping();
    expect(repo.changeFeed()).not.toBeNull();
    await expect(connectionsNamed()).resolves.toHaveLength(1);
    await expect(subscribers()).resolves.toBe(0);
  });

  it('subscribes on a connection of its own and says so once subscribed', async () => {
    const heard = recorder();
    await subscribe(heard.listener);

    expect(heard.connected).toEqual([true]);
    await expect(subscribers()).resolves.toBe(1);
    await expect(connectionsNamed()).resolves.toHaveLength(2);
    await expect(client.ping()).resolves.toBe('PONG'); // the store's own client is not subscribed
  });

  it('tells of changes made by another instance on the same store, as they happen', async () => {
    const heard = recorder();
    await subscribe(heard.listener);
    const userId = freshUserId('{feed}');
    const [one, two] = [sessionRecord({ userId }), sessionRecord({ userId })];
    await elsewhere.create(one, 0);
    await elsewhere.create(two, 0);
    const now = one.createdAt + 1000;

    await elsewhere.revoke(one.sessionId);
    await elsewhere.markFresh(two.sessionId, now, now);
    await elsewhere.updateClaims({ userId }, { role: 'admin' }, now);
    await elsewhere.revokeAll(userId);
    await other.publish(`${keyPrefix}revocations`, 'something new');
    await other.publish(`${keyPrefix}other-channel`, `s:${two.sessionId}`);
    await eventually(() => heard.changes.length >= 5);

    expect(heard.changes).toEqual([
      { sessionId: one.sessionId },
      { sessionId: two.sessionId },
      { userId },
      { userId },
      null,
    ]);
  });

  it('stops: says it is disconnected, closes its connection and tells nothing more', async () => {
    const heard = recorder();
    const stop = await subscribe(heard.listener);

    await stop();

    expect(heard.connected).toEqual([true, false]);
    await expect(subscribers()).resolves.toBe(0);
    await expect(connectionsNamed()).resolves.toHaveLength(1);
    const record = sessionRecord();
    await elsewhere.create(record, 0);
    await elsewhere.revoke(record.sessionId);
    await other.publish(`${keyPrefix}revocations`, 'u:');
    expect(heard.changes).toEqual([]);
  });

  it('says it is disconnected when its connection drops, and connected again once resubscribed', async () => {
    const heard = recorder();
    await subscribe(heard.listener);
    const [subscriber] = (await connectionsNamed()).filter((line) => / sub=1 /.test(line));
    const id = /\bid=(\d+)/.exec(subscriber ?? '')?.[1];
    if (!id) throw new Error('no subscribed connection found');

    await other.client('KILL', 'ID', id);
    await eventually(() => heard.connected.length >= 3);

    expect(heard.connected).toEqual([true, false, true]);
    await expect(subscribers()).resolves.toBe(1);
    const record = sessionRecord();
    await elsewhere.create(record, 0);
    await elsewhere.revoke(record.sessionId);
    await eventually(() => heard.changes.length >= 1);
    expect(heard.changes).toEqual([{ sessionId: record.sessionId }]);
  });

  it('answers at once, not connected, when Redis is unreachable, and stops cleanly', async () => {
    const unreachable = new Redis({
      host: '127.0.0.1',
      port: 1, // nothing listens there
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    unreachable.on('error', () => undefined);
    const down = new RedisSessionRepository(unreachable, { keyPrefix });
    const heard = recorder();
    const started = Date.now();

    const stop = await down.changeFeed().subscribe(heard.listener);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(heard.connected).toEqual([]);
    await stop();
    expect(heard.connected).toEqual([]);
    unreachable.disconnect();
  });
});
