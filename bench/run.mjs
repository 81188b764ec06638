// `npm run bench`: builds the library and the sample app (npm script), then measures them end to
// end against a redis-server of its own and prints one table, every row from this run. Writes it
// to bench/results.md. Needs only `npm ci` and `redis-server` on PATH.
//
//   npm run bench                          the table (about 4-6 minutes on 2 cores)
//   npm run bench -- --rounds 2 --seconds 2   shorter (also --warmup, --connections, --cache-ms)
//   npm run bench -- --profile             CPU profiles of the AccessGuard and refresh rows
//   npm run bench -- --profile --rows guard,refresh,public
//   npm run bench -- --rows peers          the peers only (bench/lib/peers.mjs), and the baseline
//   npm run bench -- --quick               a smoke run (1-1.5 min): exit 1 if a row fails
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { summarise } from './lib/cpuprofile.mjs';
import { getWithBearer, login, refresh } from './lib/http.mjs';
import { startPeers } from './lib/peers.mjs';
import { cpuSeconds, startApp, startLoad, startRedis } from './lib/processes.mjs';
import {
  commandStats,
  monitorCensus,
  perRequest,
  redisCpuSeconds,
  statsDelta,
} from './lib/redis-stats.mjs';
import { measureJwtLibraries } from './lib/jwt-libraries.mjs';
import {
  measureFlat,
  measureList,
  measureMemory,
  measureRevokeAll,
  sessionServiceOn,
} from './lib/store.mjs';

process.chdir(fileURLToPath(new URL('..', import.meta.url))); // paths below are from the root

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' }, // default 3 (--quick: 1)
    rounds: { type: 'string' }, // default 3 (--quick: 1)
    warmup: { type: 'string' }, // default 2 (--quick: 0.5)
    connections: { type: 'string', default: '50' },
    'cache-ms': { type: 'string', default: '5000' },
    profile: { type: 'boolean', default: false },
    rows: { type: 'string' }, // default: every row; with --profile: guard,refresh
    out: { type: 'string' }, // default bench/results.md (--quick: a file in the temp folder)
    // A smoke run for CI: every row once, briefly, store measurements at small sizes; fails only
    // when a row errors or answers anything but 2xx (no thresholds on the numbers).
    quick: { type: 'boolean', default: false },
  },
});
const QUICK = args.quick;
const SECONDS = Number(args.seconds ?? (QUICK ? 1 : 3)); // per row and round
const ROUNDS = Number(args.rounds ?? (QUICK ? 1 : 3));
const WARMUP = Number(args.warmup ?? (QUICK ? 0.5 : 2));
const CONNECTIONS = Number(args.connections);
const JWT_SAMPLES = { count: 5000, rounds: 5 };
const CENSUS_REQUESTS = QUICK ? 20 : 200; // sequential requests watched with MONITOR, per row
const OUT =
  args.out ?? (QUICK ? join(tmpdir(), 'nest-redis-sessions-bench-quick.md') : 'bench/results.md');

/** The HTTP rows, in the order they run. */
const ROWS = [
  { id: 'public', label: '`GET /public`, no guard (baseline)', scenario: 'public' },
  {
    id: 'passport-string',
    label: 'hand-written passport-jwt guard, string secret, no session check',
    scenario: 'passport-string',
  },
  {
    id: 'passport-key',
    label: 'hand-written passport-jwt guard, KeyObject secret, no session check',
    scenario: 'passport-key',
  },
  {
    id: 'floor-public',
    label: "`GET /bench/public`, no guard (the floor row's baseline, registered beside it)",
    scenario: 'floor-public',
  },
  {
    id: 'floor',
    label: "floor of a Nest guard: a guard that only sets a principal, `GET /me`'s handler",
    scenario: 'floor',
    baseline: 'floor-public',
  },
  {
    id: 'guard',
    label: '`AccessGuard`, strict (`GET /me`)',
    scenario: 'guard',
    census: 'guard',
  },
  {
    id: 'passport-guard',
    label:
      '`PassportAccessGuard` (`nest-redis-sessions/passport`), strict (same checks through passport)',
    scenario: 'passport-guard',
  },
  {
    id: 'guard-cache',
    label: '`AccessGuard`, revocation cache (`GET /me`)',
    scenario: 'guard',
    census: 'guard',
    cache: true,
  },
  {
    id: 'refresh',
    label: '`POST /auth/refresh` (genuine rotation per request)',
    scenario: 'refresh',
    census: 'refresh',
  },
  {
    id: 'login',
    label: '`POST /auth/login`, bench user store (no password hash)',
    scenario: 'login',
    census: 'login',
  },
  // The same app on Fastify (`HTTP_ADAPTER=fastify`): its rows are divided by its own baseline.
  {
    id: 'public-fastify',
    label: 'Fastify: `GET /public`, no guard (Fastify baseline)',
    scenario: 'public',
    app: 'fastify',
    baseline: 'public-fastify',
  },
  {
    id: 'floor-public-fastify',
    label: "Fastify: `GET /bench/public` (the floor row's baseline)",
    scenario: 'floor-public',
    app: 'fastify',
    baseline: 'public-fastify',
  },
  {
    id: 'floor-fastify',
    label: 'Fastify: floor of a Nest guard (as above)',
    scenario: 'floor',
    app: 'fastify',
    baseline: 'floor-public-fastify',
  },
  {
    id: 'guard-fastify',
    label: 'Fastify: `AccessGuard`, strict (`GET /me`)',
    scenario: 'guard',
    app: 'fastify',
    baseline: 'public-fastify',
  },
  {
    id: 'guard-cache-fastify',
    label: 'Fastify: `AccessGuard`, revocation cache (`GET /me`)',
    scenario: 'guard',
    app: 'fastify',
    cache: true,
    baseline: 'public-fastify',
  },
  {
    id: 'refresh-fastify',
    label: 'Fastify: `POST /auth/refresh`',
    scenario: 'refresh',
    app: 'fastify',
    baseline: 'public-fastify',
  },
];

const secrets = {
  access: randomBytes(48).toString('base64url'),
  refresh: randomBytes(48).toString('base64url'),
};

const startedAt = new Date();
const redis = await startRedis();
const appEnv = {
  REDIS_URL: redis.url,
  ACCESS_SECRET: secrets.access,
  REFRESH_SECRET: secrets.refresh,
  RATE_LIMIT_PER_MINUTE: '0',
  BENCH: '1',
};
const machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${process.platform} ${release()}`,
  node: process.version,
  redis: redis.version,
  loadBefore: loadavg()[0],
};
log(`redis-server ${redis.version} on ${redis.url}; ${machine.cores} × ${machine.cpu}`);

let failed = false;
try {
  if (args.profile) await profileRows((args.rows ?? 'guard,refresh').split(','));
  else failed = await fullRun();
} finally {
  await redis.stop();
}
process.exit(QUICK && failed ? 1 : 0);

async function fullRun() {
  log('JWT libraries: sign and verify in this process');
  const jwt = await measureJwtLibraries(QUICK ? { count: 300, rounds: 1 } : JWT_SAMPLES);
  const store = await storeMeasurements();
  await redis.client.flushall();

  const cacheBuilt = readFileSync('sample-app/dist/config.js', 'utf8').includes(
    'REVOCATION_CACHE_MS',
  );
  const app = await startApp(appEnv);
  const cacheApp = cacheBuilt
    ? await startApp({ ...appEnv, REVOCATION_CACHE_MS: args['cache-ms'] })
    : undefined;
  const only = args.rows?.split(',');
  const fastifyApp =
    !only || only.some((id) => id.endsWith('-fastify'))
      ? await startApp({ ...appEnv, HTTP_ADAPTER: 'fastify' })
      : undefined;
  const fastifyCacheApp =
    cacheBuilt && fastifyApp && (!only || only.includes('guard-cache-fastify'))
      ? await startApp({
          ...appEnv,
          HTTP_ADAPTER: 'fastify',
          REVOCATION_CACHE_MS: args['cache-ms'],
        })
      : undefined;
  const peers = await startPeers({ redis, only, log });
  const load = startLoad();
  const rows = ROWS.filter(
    (row) =>
      (!row.cache || (row.app === 'fastify' ? fastifyCacheApp : cacheApp)) &&
      (row.app !== 'fastify' || fastifyApp) &&
      (!only || only.includes(row.id) || row.id === 'public'), // the baseline always runs
  );
  rows.push(...peers.rows);
  const appOf = (row) => {
    if (row.server) return row.server;
    if (row.app === 'fastify') return row.cache ? fastifyCacheApp : fastifyApp;
    return row.cache ? cacheApp : app;
  };
  const urlOf = (row) => appOf(row).url;
  const totals = new Map(rows.map((row) => [row.id, emptyTotals()]));
  try {
    for (const row of rows) {
      log(`warm-up ${row.id}`);
      await load.prepare(urlOf(row), row.scenario, CONNECTIONS, row.credentials);
      if (WARMUP > 0) await load.run(WARMUP);
    }
    // Round-robin, forward then backward: a machine that slows down hits every row alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
        const result = await measureOnce(load, appOf(row), row);
        addRound(totals.get(row.id), result);
        log(
          `round ${round + 1}/${ROUNDS} ${row.id}: ${Math.round(result.requestsPerSecond)} req/s`,
        );
      }
    }
    for (const row of rows) {
      if (row.census) totals.get(row.id).census = await runCensus(urlOf(row), row.census);
    }
  } finally {
    load.stop();
    await peers.stop();
    await fastifyApp?.stop();
    await fastifyCacheApp?.stop();
    await cacheApp?.stop();
    await app.stop();
  }
  const results = {};
  for (const row of [...ROWS, ...peers.rows]) {
    if (totals.has(row.id)) results[row.id] = summariseRow(totals.get(row.id));
    else if (row.cache && !cacheBuilt) results[row.id] = { missing: 'n/a (not built)' };
    else results[row.id] = { missing: 'not measured (--rows)' };
  }
  const markdown = report(results, store, cacheBuilt, peers, jwt);
  mkdirSync(resolve(OUT, '..'), { recursive: true });
  writeFileSync(OUT, markdown);
  process.stdout.write(`\n${markdown}\nWritten to ${OUT}\n`);
  const failed = rows.filter(({ id }) => results[id].non2xx + results[id].errors > 0);
  for (const { id } of failed) {
    log(`FAILED ${id}: ${results[id].non2xx} non-2xx answers, ${results[id].errors} errors`);
  }
  return failed.length > 0;
}

/** One measured run of a row between two snapshots of Redis's counters and of CPU times. */
async function measureOnce(load, app, row) {
  await load.prepare(app.url, row.scenario, CONNECTIONS, row.credentials);
  await delay(250); // the previous run's last requests finish before the snapshot
  const before = await commandStats(redis.client);
  const appCpu = cpuSeconds(app.child.pid);
  const redisCpu = await redisCpuSeconds(redis.client);
  const result = await load.run(SECONDS);
  const appCpuAfter = cpuSeconds(app.child.pid);
  const redisCpuAfter = await redisCpuSeconds(redis.client);
  const after = await commandStats(redis.client);
  return {
    ...result,
    commands: statsDelta(before, after),
    appCpu: appCpuAfter - appCpu, // NaN off Linux
    redisCpu: redisCpuAfter - redisCpu,
  };
}

function emptyTotals() {
  return {
    ok: 0,
    elapsedMs: 0,
    latencies: [],
    statuses: {},
    errors: 0,
    commands: {},
    rounds: [],
    appCpu: 0,
    redisCpu: 0,
  };
}

function addRound(totals, result) {
  totals.ok += result.ok;
  totals.elapsedMs += result.elapsedMs;
  totals.latencies.push(...result.latencies);
  totals.errors += result.errors;
  totals.appCpu += result.appCpu;
  totals.redisCpu += result.redisCpu;
  totals.rounds.push(result.requestsPerSecond);
  for (const [status, n] of Object.entries(result.statuses)) {
    totals.statuses[status] = (totals.statuses[status] ?? 0) + n;
  }
  for (const [command, { calls, usec }] of Object.entries(result.commands)) {
    const sum = (totals.commands[command] ??= { calls: 0, usec: 0 });
    sum.calls += calls;
    sum.usec += usec;
  }
}

/** req/s over all rounds, latency percentiles of all 2xx answers, commands per 2xx answer. */
function summariseRow(totals) {
  const sorted = totals.latencies.sort((a, b) => a - b);
  const non2xx = Object.entries(totals.statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    ok: totals.ok,
    requestsPerSecond: totals.ok / (totals.elapsedMs / 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    non2xx,
    errors: totals.errors,
    rounds: totals.rounds,
    commands: perRequest(totals.commands, totals.ok),
    appCpuUs: (totals.appCpu * 1e6) / totals.ok,
    redisCpuUs: (totals.redisCpu * 1e6) / totals.ok,
    census: totals.census,
  };
}

function percentile(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

/** Commands per request by origin (sent by the app / run inside a script), sequentially. */
async function runCensus(url, kind) {
  const session = await login(url, 'bench-999999');
  let token = session.refreshToken;
  const actions = {
    guard: () => getWithBearer(url, '/me', session.accessToken),
    refresh: async () => {
      token = await refresh(url, token);
    },
    login: () => login(url, 'bench-999999'),
  };
  await actions[kind](); // a warm cache, where there is one
  return monitorCensus(redis.url, CENSUS_REQUESTS, async () => {
    for (let i = 0; i < CENSUS_REQUESTS; i += 1) await actions[kind]();
  });
}

async function storeMeasurements() {
  const users = QUICK ? 200 : 20_000;
  log(`Redis memory: ${users} users × 5 sessions, 100-byte user agent`);
  const { sessions, close } = await sessionServiceOn(redis.url, secrets);
  try {
    await redis.client.flushall();
    const memory = await measureMemory(redis.client, sessions, { users });
    log(
      `  ${memory.bytesPerSession.toFixed(0)} bytes/session (used_memory), session hash ` +
        `${memory.sessionKeyBytes} B ${memory.sessionKeyEncoding}, index ${memory.indexKeyBytes} B`,
    );
    await redis.client.flushall();
    const revokeSize = QUICK ? { count: 1_000, runs: 1 } : undefined; // defaults: 10,000 × 3
    const listSize = QUICK ? { count: 100, runs: 5 } : undefined; // defaults: 1,000 × 30
    log(
      `revokeAll of ${revokeSize?.count ?? 10_000} sessions; list of ${listSize?.count ?? 1_000}`,
    );
    const revokeAll = await measureRevokeAll(redis.client, sessions, revokeSize);
    const list = await measureList(sessions, listSize);
    await redis.client.flushall();
    const flatSize = QUICK ? { small: 1_000, large: 10_000, samples: 200 } : undefined;
    log(
      `readLive and rotate with ${flatSize ? '1,000 then 10,000' : '10,000 then 1,000,000'} sessions`,
    );
    const flat = await measureFlat(redis.client, flatSize);
    return { memory, revokeAll, list, flat };
  } finally {
    await close();
  }
}

/** CPU profiles of the app over the measured window of each row in `ids`. */
async function profileRows(ids) {
  const dir = join(tmpdir(), `nest-redis-sessions-profile-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const hook = pathToFileURL(resolve('bench/lib/profile-hook.mjs')).href;
  const load = startLoad();
  try {
    for (const id of ids) {
      const row = ROWS.find((r) => r.id === id);
      if (!row) throw new Error(`no row "${id}": ${ROWS.map((r) => r.id).join(', ')}`);
      // An app per row, so that each profile starts from the same state.
      const env = {
        ...appEnv,
        ...(row.cache ? { REVOCATION_CACHE_MS: args['cache-ms'] } : {}),
        ...(row.app === 'fastify' ? { HTTP_ADAPTER: 'fastify' } : {}),
      };
      const app = await startApp(env, { nodeArgs: ['--import', hook], ipc: true });
      const ask = (message, expected) =>
        new Promise((done, fail) => {
          app.child.once('message', (reply) =>
            reply.type === expected ? done(reply) : fail(new Error(JSON.stringify(reply))),
          );
          app.child.send(message);
        });
      try {
        await load.prepare(app.url, row.scenario, CONNECTIONS);
        if (WARMUP > 0) await load.run(WARMUP);
        await load.prepare(app.url, row.scenario, CONNECTIONS);
        await ask({ type: 'profile-start', intervalUs: 100 }, 'profile-started');
        const result = await load.run(SECONDS * ROUNDS);
        const file = join(dir, `${id}.cpuprofile`);
        await ask({ type: 'profile-stop', file }, 'profile-stopped');
        const summary = summarise(JSON.parse(readFileSync(file, 'utf8')));
        printProfile(row, result, summary, file);
      } finally {
        await app.stop();
      }
    }
  } finally {
    load.stop();
  }
}

function printProfile(row, result, summary, file) {
  const pct = (share) => `${(share * 100).toFixed(1)}%`.padStart(6);
  const perRequestUs = (ms) => ((ms * 1000) / result.ok).toFixed(1).padStart(6);
  const lines = [
    '',
    `## ${row.label}: ${Math.round(result.requestsPerSecond)} req/s under the profiler`,
    `${file}`,
    `busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled; ` +
      `${result.ok} requests; shares are of busy time, µs are per request`,
    '',
    'self time by package:',
    ...summary.packages
      .slice(0, 14)
      .map((p) => `  ${pct(p.share)} ${perRequestUs(p.ms)} µs  ${p.name}`),
    '',
    'self time by package, with the native and node: frames it called charged to it:',
    ...summary.callers
      .slice(0, 14)
      .map((p) => `  ${pct(p.share)} ${perRequestUs(p.ms)} µs  ${p.name}`),
    '',
    'top functions by self time:',
    ...summary.functions
      .slice(0, 25)
      .map((f) => `  ${pct(f.share)} ${perRequestUs(f.ms)} µs  ${f.name}  ${f.where}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function report(results, store, cacheBuilt, peers, jwt) {
  const base = results.public.requestsPerSecond;
  const ms = (value) => `${value.toFixed(2)} ms`;
  const num = (value) => Math.round(value).toLocaleString('en-US');
  const rows = [];
  for (const row of ROWS) {
    const r = results[row.id];
    if (r.missing) {
      rows.push([row.label, r.missing]);
      continue;
    }
    const sent = r.census ? ` (${r.census.client.total.toFixed(2)} sent)` : '';
    const failures = r.non2xx + r.errors ? ` (${r.non2xx + r.errors} failed)` : '';
    const baseline = results[row.baseline ?? 'public'];
    const overhead = r === baseline ? NaN : r.appCpuUs - baseline.appCpuUs;
    rows.push([
      row.label,
      `${num(r.requestsPerSecond)} req/s${failures}`,
      (r.requestsPerSecond / (baseline?.requestsPerSecond ?? base)).toFixed(2),
      ms(r.p50),
      ms(r.p99),
      Number.isFinite(r.appCpuUs) ? `${num(r.appCpuUs)} µs` : 'n/a',
      Number.isFinite(overhead) ? `${overhead >= 0 ? '+' : ''}${num(overhead)} µs` : '',
      `${r.commands.total.toFixed(2)}${sent}`,
    ]);
  }
  const { memory, revokeAll, list, flat } = store;
  const sortedList = [...list.times].sort((a, b) => a - b);
  const at = (q) => sortedList[Math.min(sortedList.length - 1, Math.floor(q * sortedList.length))];
  const revokeMs = revokeAll.runs.map((r) => r.ms).sort((a, b) => a - b);
  const revokeRedisMs = revokeAll.runs.map((r) => r.redisMs).sort((a, b) => a - b);
  const median = (values) => values[Math.floor(values.length / 2)];
  rows.push(
    [
      `Redis memory per session: \`used_memory\` delta / ${num(memory.sessions)} sessions ` +
        `(${num(memory.users)} users × 5, 100-byte user agent)`,
      `${num(memory.bytesPerSession)} B`,
    ],
    [
      '`MEMORY USAGE` of one session hash / of one user index (5 sessions)',
      `${memory.sessionKeyBytes} B (${memory.sessionKeyEncoding}) / ` +
        `${memory.indexKeyBytes} B (${memory.indexKeyEncoding})`,
    ],
    [
      `\`revokeAll\` of a user with ${num(revokeAll.count)} sessions ` +
        `(median of ${revokeAll.runs.length}; Redis busy in the script)`,
      `${ms(median(revokeMs))} (Redis ${ms(median(revokeRedisMs))})`,
      '',
      '',
      '',
      '',
      '',
      '1 script',
    ],
    [
      `\`list\` of a user with ${num(list.count)} sessions (${list.times.length} calls)`,
      ms(at(0.5)),
      '',
      ms(at(0.5)),
      ms(at(0.99)),
      '',
      '',
      '1 script',
    ],
    ...flat.sizes.map((size) => [
      `\`readLive\` / \`rotate\` with ${num(size.sessions)} sessions in Redis ` +
        `(${num(flat.samples)} calls each, one at a time; Redis time per call)`,
      `${size.readLiveUs.toFixed(1)} µs / ${size.rotateUs.toFixed(1)} µs`,
      '',
      `${(size.readLiveMs * 1000).toFixed(0)} µs / ${(size.rotateMs * 1000).toFixed(0)} µs`,
      '',
      '',
      '1 HMGET / 1 script',
    ]),
  );
  const header = [
    'measured',
    'result',
    '× unguarded',
    'p50',
    'p99',
    'app CPU / request',
    'overhead (app CPU over its baseline)',
    'Redis commands / request',
  ];
  const table = [header, header.map(() => '---'), ...rows].map(
    (cells) => `| ${header.map((_, i) => cells[i] ?? '').join(' | ')} |`,
  );

  const breakdown = [];
  for (const row of ROWS) {
    const r = results[row.id];
    if (r.missing) continue;
    breakdown.push(
      `- ${row.label}: commandstats ${r.commands.perCommand || 'none'}; Redis CPU ` +
        `${r.redisCpuUs.toFixed(1)} µs/request; rounds ${r.rounds.map(num).join(', ')} req/s`,
    );
    if (r.census) {
      breakdown.push(
        `  - sent by the app (MONITOR, ${CENSUS_REQUESTS} sequential requests): ` +
          `${r.census.client.perCommand || 'none'}; inside scripts: ` +
          `${r.census.script.perCommand || 'none'}`,
      );
    }
  }
  const extra = process.argv.slice(2);
  const command = extra.length ? `npm run bench -- ${extra.join(' ')}` : 'npm run bench';
  return [
    '# Benchmark results',
    '',
    `Command: \`${command}\``,
    '',
    `Date: ${startedAt.toISOString()}  `,
    `Machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}  `,
    `Versions: Node ${machine.node}, Redis ${machine.redis}, sample app on Express, one process  `,
    `Load average (1 min) of the machine: ${machine.loadBefore.toFixed(2)} before the run, ` +
      `${loadavg()[0].toFixed(2)} after it (the bench itself keeps about 2 cores busy)  `,
    `Driver: autocannon in its own process, ${CONNECTIONS} connections, no pipelining, ` +
      `${WARMUP} s warm-up per row, then ${ROUNDS} rounds of ${SECONDS} s per row taken ` +
      'round-robin (forward, backward, …) so that a machine that slows down hits every row ' +
      'alike; all on 127.0.0.1 (app, Redis and load generator share the cores)',
    '',
    ...table,
    '',
    `The unguarded row in each round: ${results.public.rounds.map(num).join(', ')} req/s ` +
      "(the noise of this machine; every row's rounds are listed at the end).",
    '',
    'How each row is measured:',
    '',
    '- req/s counts 2xx answers over the measured seconds; p50/p99 are their latencies. ' +
      '"× unguarded" is the ratio to the first row (Fastify rows: to the Fastify baseline).',
    "- The floor rows are `GET /me`'s handler, parameter decorator and answer behind a guard " +
      'that only sets a fixed principal (sample-app/bench/floor.guard.ts): what any Nest guard ' +
      'costs, over `GET /bench/public` registered beside it (Express matches routes in the order ' +
      'they were added, so a route further down the list costs more to find; `/me` and ' +
      "`/public` are neighbours). `AccessGuard`'s overhead minus the floor's is what the " +
      'module itself costs per request.',
    '- The passport rows are the handler of `GET /public` behind a `@nestjs/passport` + ' +
      'passport-jwt guard written as in the Nest recipe (sample-app/bench/), verifying the same ' +
      'access tokens, with no session check.',
    `- The revocation cache rows are a second app instance (one per adapter) started with ` +
      `\`REVOCATION_CACHE_MS=${args['cache-ms']}\`` +
      (cacheBuilt ? '.' : ' (not built in this tree: n/a).'),
    '- `POST /auth/refresh`: each connection logs in once, then presents on every request the ' +
      'refresh token that the previous answer issued, so every request is a genuine rotation ' +
      '(verify, one script, two signatures, two cookies), never the reuse-grace path.',
    '- `POST /auth/login`: the real login route and `SessionService.create`, with the bench ' +
      'user store (`BENCH=1`) instead of scrypt, spread over 10,000 users.',
    "- overhead: the row's app CPU per request minus its baseline's (`GET /public` on the same " +
      'adapter, same run): what the guard, refresh or login itself costs.',
    '- app CPU / request: user + system CPU time of the app process over the measured seconds ' +
      '(from /proc, Linux only) divided by the 2xx answers; it is less sensitive than req/s to ' +
      'what else the machine is doing.',
    '- Redis commands / request: `INFO commandstats` calls over the measured run divided by ' +
      'the 2xx answers; they include the commands run inside Lua scripts. "sent" is what the ' +
      'app itself sends per request (round trips before auto-pipelining), counted with MONITOR ' +
      'over sequential requests after the run.',
    '- Memory, revokeAll and list go through the library (`SessionService` from dist/) on the ' +
      `same redis-server before the HTTP rows; the sessions were created at ` +
      `${num(memory.createsPerSecond)}/s.`,
    "- `readLive` / `rotate` rows: a `RedisSessionRepository` (from dist/) times the guard's read " +
      'and the refresh script on the same sessions with 10,000, then 1,000,000 sessions in Redis ' +
      '(the rest copies of a real one, same layout, 5 per user); "result" is Redis time per call ' +
      '(commandstats), p50 the time the caller waits. Equal rows mean the hot path does not grow ' +
      'with the number of sessions.',
    '',
    'Redis commands per request, by command, and req/s of each round:',
    '',
    ...breakdown,
    '',
    ...peers.report(results),
    '',
    ...jwtReport(jwt),
  ].join('\n');
}

/** The JWT libraries' table: why the hot path uses fast-jwt. */
function jwtReport(rows) {
  const { count, rounds } = QUICK ? { count: 300, rounds: 1 } : JWT_SAMPLES;
  const us = (value) => (value === undefined ? 'n/a' : `${value.toFixed(1)} µs`);
  return [
    '## JWT libraries',
    '',
    `CPU per operation in the bench process (median of ${rounds} rounds of ${count}, libraries ` +
      'interleaved), ' +
      'each first checked to accept its own token and refuse a tampered one. The module signs ' +
      'and verifies with fast-jwt (every algorithm, EdDSA included); jose goes through WebCrypto, ' +
      'asynchronous in Node.',
    '',
    '| algorithm | library | sign | verify |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.algorithm} | ${r.library} | ${us(r.signUs)} | ${us(r.verifyUs)} |`),
  ];
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}
