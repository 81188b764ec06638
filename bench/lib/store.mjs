// Redis-side measurements through the library itself (dist/, via SessionService): bytes per
// session, and the time of revokeAll and list on users with many sessions.
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { SessionModule, SessionService } from 'nest-redis-sessions';
import { commandStats, statsDelta } from './redis-stats.mjs';

const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 ';
const IP = '203.0.113.77';
const IN_FLIGHT = 512; // concurrent creates (auto-pipelined by the module's client)

/** A `SessionService` of the library on `redisUrl`, outside any HTTP server. */
export async function sessionServiceOn(redisUrl, secrets) {
  const context = await NestFactory.createApplicationContext(
    SessionModule.forRoot({
      accessToken: { secret: secrets.access },
      refreshToken: { secret: secrets.refresh },
      redis: { url: redisUrl },
      routes: false,
    }),
    { logger: false },
  );
  return { sessions: context.get(SessionService), close: () => context.close() };
}

/** Creates `count` sessions, `userOf(i)` giving the user of the i-th, IN_FLIGHT at a time. */
export async function createSessions(sessions, count, userOf) {
  const userAgent = USER_AGENT.padEnd(100, 'x').slice(0, 100);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await sessions.create({ id: userOf(i), role: 'user' }, { userAgent, ip: IP });
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, worker));
}

/**
 * Memory of 20,000 users × 5 sessions with a 100-byte user agent: `used_memory` delta per
 * session, and MEMORY USAGE of one session hash and one user index. Needs an empty Redis.
 */
export async function measureMemory(redis, sessions, { users = 20_000, perUser = 5 } = {}) {
  const usedMemory = async () =>
    Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
  const before = await usedMemory();
  const started = performance.now();
  await createSessions(sessions, users * perUser, (i) => `user-${i % users}`);
  const createMs = performance.now() - started;
  const after = await usedMemory();
  const { hash: sessionKey, zset: indexKey } = await sampleKeys(redis);
  const keys = await redis.dbsize();
  return {
    sessions: users * perUser,
    users,
    keys,
    usedMemoryDelta: after - before,
    bytesPerSession: (after - before) / (users * perUser),
    sessionKeyBytes: await redis.memory('USAGE', sessionKey, 'SAMPLES', '0'),
    sessionKeyEncoding: await redis.object('ENCODING', sessionKey),
    indexKeyBytes: await redis.memory('USAGE', indexKey, 'SAMPLES', '0'),
    indexKeyEncoding: await redis.object('ENCODING', indexKey),
    createsPerSecond: (users * perUser) / (createMs / 1000),
  };
}

/** One key of each type (a session HASH, a user index ZSET), found with SCAN. */
async function sampleKeys(redis) {
  const found = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 100);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      found[type] ??= key;
    }
  } while (cursor !== '0' && !(found.hash && found.zset));
  if (!found.hash || !found.zset) throw new Error('no session hash or index zset in Redis');
  return found;
}

/**
 * `revokeAll` of a user with `count` sessions, `runs` times (sessions re-created each time):
 * wall time seen by the caller, and the time Redis spent in the script (commandstats usec).
 */
export async function measureRevokeAll(redis, sessions, { count = 10_000, runs = 3 } = {}) {
  const results = [];
  for (let run = 0; run < runs; run += 1) {
    const userId = `revoke-all-${run}`;
    await createSessions(sessions, count, () => userId);
    const before = await commandStats(redis);
    const started = performance.now();
    const revoked = await sessions.revokeAll(userId);
    const ms = performance.now() - started;
    const delta = statsDelta(before, await commandStats(redis));
    if (revoked !== count) throw new Error(`revokeAll revoked ${revoked} of ${count} sessions`);
    // The script's first call is an EVAL (ioredis falls back to it on NOSCRIPT), later ones EVALSHA.
    const scriptUsec = (delta.evalsha?.usec ?? 0) + (delta.eval?.usec ?? 0);
    results.push({ ms, redisMs: scriptUsec / 1000 });
  }
  return { count, runs: results };
}

/** `list` of a user with `count` sessions, `runs` times. */
export async function measureList(sessions, { count = 1_000, runs = 30 } = {}) {
  const userId = 'list-user';
  await createSessions(sessions, count, () => userId);
  const times = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const listed = await sessions.list(userId);
    times.push(performance.now() - started);
    if (listed.length !== count) throw new Error(`list gave ${listed.length} of ${count}`);
  }
  return { count, times };
}
