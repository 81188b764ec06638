// Redis-side measurements through the library itself (dist/, via SessionService): bytes per
// session, and the time of revokeAll and list on users with many sessions.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import { RedisSessionRepository, SessionModule, SessionService } from 'nest-redis-sessions';
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

/**
 * Whether the hot path stays flat in the number of sessions: Redis time and wall time per call of
 * `readLive` (the guard's one HMGET) and `rotate` (the refresh script), with `small`, then `large`
 * sessions in Redis, through a `RedisSessionRepository` on a client of its own. `samples` real
 * sessions (one per user) are made through the repository and timed; the rest are copies of one
 * of them (DUMP/RESTORE, pipelined: the same layout, a million in seconds), 5 per user, indexed.
 * Needs an empty Redis.
 */
export async function measureFlat(
  redis,
  { small = 10_000, large = 1_000_000, samples = 2_000 } = {},
) {
  const client = redis.duplicate();
  const repo = new RedisSessionRepository(client);
  try {
    const now = Date.now();
    const live = [];
    for (let i = 0; i < samples; i += 1) {
      const record = sampleRecord(`flat-${i}`, now);
      await repo.create(record, 0);
      live.push({ sessionId: record.sessionId, jti: record.currentJti });
    }
    const template = await redis.dumpBuffer(sessionKey(live[0].sessionId));
    await timeHotPath(redis, repo, live); // warm-up: compiled code, scripts loaded
    const sizes = [];
    let filled = samples;
    for (const size of [small, large]) {
      filled = await fillCopies(redis, template, filled, size, now);
      sizes.push({ sessions: size, ...(await timeHotPath(redis, repo, live)) });
    }
    return { samples, sizes };
  } finally {
    client.disconnect();
  }
}

function sampleRecord(userId, now) {
  const userPart = Buffer.from(userId).toString('base64url');
  return {
    sessionId: `${userPart}.${randomBytes(32).toString('base64url')}`,
    userId,
    role: 'user',
    claims: {},
    currentJti: randomBytes(32).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + 3_600_000,
    absoluteExpiresAt: now + 86_400_000,
    authenticatedAt: now,
    userAgent: USER_AGENT.padEnd(100, 'x').slice(0, 100),
    ip: IP,
  };
}

/** The HASH of a session id, in the default layout (`sess:{<user part>}:<random part>`). */
function sessionKey(sessionId) {
  const [userPart, member] = sessionId.split('.');
  return `sess:{${userPart}}:${member}`;
}

/**
 * Copies `template` (a DUMP of a session hash) until there are `to` sessions, 5 per user, each in
 * its user's index: a script makes 10,000 a call, a bench shortcut that names its keys itself
 * (fine on one redis-server, not on a Cluster). Returns `to`.
 */
async function fillCopies(redis, template, from, to, now) {
  const expiresAt = now + 3_600_000;
  for (let start = from; start < to; start += 10_000) {
    const end = Math.min(to, start + 10_000);
    await redis.eval(FILL_LUA, 0, start, end, expiresAt, template, randomBytes(16).toString('hex'));
  }
  await delay(3_000); // the main dictionary finishes growing (rehashing) before any timing
  return to;
}

/** ARGV: first, end (exclusive), expiry (epoch ms), template, salt (keeps members unique). */
const FILL_LUA = `
local b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
local function base64url(text)
  local out, bits, value = {}, 0, 0
  for i = 1, #text do
    value = value * 256 + string.byte(text, i)
    bits = bits + 8
    while bits >= 6 do
      bits = bits - 6
      local index = math.floor(value / 2 ^ bits)
      value = value - index * 2 ^ bits
      out[#out + 1] = string.sub(b64, index + 1, index + 1)
    end
  end
  if bits > 0 then
    local index = value * 2 ^ (6 - bits)
    out[#out + 1] = string.sub(b64, index + 1, index + 1)
  end
  return table.concat(out)
end
for i = tonumber(ARGV[1]), tonumber(ARGV[2]) - 1 do
  local base = 'sess:{' .. base64url('fill-' .. math.floor(i / 5)) .. '}:'
  local member = string.sub(redis.sha1hex(ARGV[5] .. i) .. ARGV[5], 1, 43)
  redis.call('RESTORE', base .. member, ARGV[3], ARGV[4], 'ABSTTL')
  redis.call('ZADD', base .. 'index', ARGV[3], member)
  redis.call('PEXPIREAT', base .. 'index', ARGV[3])
end
`;

/** One `readLive` and one `rotate` of every session of `live`, one at a time. */
async function timeHotPath(redis, repo, live) {
  const before = await commandStats(redis);
  const readMs = [];
  for (const session of live) {
    const started = performance.now();
    if (!(await repo.readLive(session.sessionId, Date.now()))) throw new Error('not live');
    readMs.push(performance.now() - started);
  }
  const between = await commandStats(redis);
  const rotateMs = [];
  for (const session of live) {
    const nextJti = randomBytes(32).toString('base64url');
    const started = performance.now();
    const result = await repo.rotate({
      sessionId: session.sessionId,
      presentedJti: session.jti,
      nextJti,
      now: Date.now(),
      graceMs: 10_000,
      idleMs: 3_600_000,
      userAgent: USER_AGENT,
      ip: IP,
    });
    rotateMs.push(performance.now() - started);
    if (result.status !== 'rotated') throw new Error(`rotate: ${result.status}`);
    session.jti = nextJti;
  }
  const reads = statsDelta(before, between).hmget;
  const rotates = statsDelta(between, await commandStats(redis)).evalsha;
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    readLiveUs: reads.usec / reads.calls,
    readLiveMs: median(readMs),
    rotateUs: rotates.usec / rotates.calls,
    rotateMs: median(rotateMs),
  };
}
