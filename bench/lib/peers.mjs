// The peers of `npm run bench`: what users would pick instead of this library, each a minimal
// server of its own (bench/peers/) on the bench's redis-server, timed in the same round-robin as
// the sample app's rows. Each server has `GET /public`, `GET /me`, `POST /login` (a credential:
// Set-Cookie or a Bearer token) and `POST /logout` (deletes that session). Before any timing, each
// server is checked: `/me` answers 200 with a credential, 401 without, and 401 once its session is
// deleted, or 200 where the server says it cannot revoke per request (the cookie cache).
/* global fetch */
import { resolve } from 'node:path';
import { startServer } from './processes.mjs';

const CREDENTIALS = 10; // sessions per server, shared round-robin by the load's connections

/** The peer servers, in the order their rows run. `revokes`: `/me` refuses a deleted session. */
const SERVERS = [
  {
    peer: 'express-session',
    name: 'express-session + connect-redis (Express)',
    script: 'bench/peers/express-session.mjs',
    revokes: true,
  },
  {
    peer: 'better-auth',
    name: 'better-auth, Redis secondary storage, cookie cache off (Express)',
    script: 'bench/peers/better-auth.mjs',
    env: { COOKIE_CACHE: '0' },
    revokes: true,
  },
  {
    peer: 'better-auth-cache',
    name: 'better-auth, cookie cache on (5 min): no per-request revocation',
    script: 'bench/peers/better-auth.mjs',
    env: { COOKIE_CACHE: '1' },
    revokes: false,
  },
  {
    peer: 'nest-passport',
    name: 'hand-written `@nestjs/passport` + passport-jwt guard, one `EXISTS` per request (Nest, Express)',
    script: 'bench/peers/nest-passport.mjs',
    revokes: true,
  },
];

/** Two rows per server, `<peer>-public` and `<peer>-me`. */
export const PEER_ROWS = SERVERS.flatMap(({ peer, name }) => [
  { id: `${peer}-public`, peer, label: `${name}: \`GET /public\``, scenario: 'public' },
  { id: `${peer}-me`, peer, label: `${name}: \`GET /me\``, scenario: 'me-given' },
]);

/**
 * The peer rows that `--rows` asks for (all without it): `peers` for all, a peer's name for its
 * two rows, a row id for that row; a server's `/me` row always brings its `/public` row, which
 * its overhead is measured against.
 */
export function selectPeerRows(only) {
  if (!only) return PEER_ROWS;
  const wanted = (row) =>
    only.includes('peers') || only.includes(row.peer) || only.includes(row.id);
  const peers = new Set(PEER_ROWS.filter(wanted).map((row) => row.peer));
  return PEER_ROWS.filter(
    (row) => wanted(row) || (peers.has(row.peer) && row.scenario === 'public'),
  );
}

/**
 * Starts the servers of the selected rows, checks each, and logs in the sessions the load will
 * use. Resolves to `{ rows, report, stop }`: `rows` carry their `server` and `credentials`.
 */
export async function startPeers({ redis, only, log }) {
  const selected = selectPeerRows(only);
  const specs = SERVERS.filter((spec) => selected.some((row) => row.peer === spec.peer));
  const started = [];
  const stop = async () => {
    for (const server of started.splice(0)) await server.stop();
  };
  // Started together (each takes seconds), checked one after the other.
  const starting = specs.map(async (spec) => {
    const server = await startServer(resolve(spec.script), { REDIS_URL: redis.url, ...spec.env });
    started.push(server);
    return server;
  });
  const checks = new Map();
  const rows = [];
  try {
    const servers = await Promise.all(starting);
    for (const [i, spec] of specs.entries()) {
      const server = servers[i];
      const check = await checkServer(server.url, spec, redis.client);
      checks.set(spec.peer, check);
      log(`${spec.peer} on ${server.url}: ${check.summary}`);
      const credentials = [];
      for (let n = 0; n < CREDENTIALS; n += 1) credentials.push(await login(server.url));
      for (const row of selected.filter((r) => r.peer === spec.peer)) {
        rows.push({ ...row, server, credentials: row.scenario === 'me-given' ? credentials : [] });
      }
    }
  } catch (error) {
    await Promise.allSettled(starting);
    await stop();
    throw error;
  }
  return { rows, stop, report: (results) => report(rows, results, checks) };
}

/** The checks before timing; throws when the server does not behave as its row says. */
async function checkServer(url, spec, redisClient) {
  const credential = await login(url);
  const withCredential = await getMe(url, credential);
  const without = await getMe(url, {});
  const revoked = await login(url);
  const keysBefore = await redisClient.dbsize();
  const logout = await fetch(`${url}/logout`, { method: 'POST', headers: revoked });
  await logout.arrayBuffer();
  const keysRemoved = keysBefore - (await redisClient.dbsize());
  const afterLogout = await getMe(url, revoked);
  const expectedAfter = spec.revokes ? 401 : 200;
  const summary =
    `/me ${withCredential} with its credential, ${without} without, ${afterLogout} after ` +
    `POST /logout (${logout.status}, ${keysRemoved} Redis key(s) deleted)`;
  if (
    withCredential !== 200 ||
    without !== 401 ||
    !logout.ok ||
    keysRemoved < 1 ||
    afterLogout !== expectedAfter
  ) {
    throw new Error(
      `peer ${spec.peer} failed its check (expected /me 200, 401, then ${expectedAfter} after a ` +
        `logout that deletes a Redis key): ${summary}`,
    );
  }
  return { summary, afterLogout, revokes: spec.revokes };
}

/** `POST /login`; the headers that carry its credential (its cookies, or a Bearer token). */
async function login(url) {
  const response = await fetch(`${url}/login`, { method: 'POST' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`POST ${url}/login answered ${response.status}`);
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0]);
  if (cookies.length) return { cookie: cookies.join('; ') };
  if (body.accessToken) return { authorization: `Bearer ${body.accessToken}` };
  throw new Error(`POST ${url}/login gave neither a cookie nor an access token`);
}

async function getMe(url, headers) {
  const response = await fetch(`${url}/me`, { headers });
  await response.arrayBuffer();
  return response.status;
}

/** The "Peers" section of the results: one line per row, the overhead on the `/me` rows. */
function report(rows, results, checks) {
  const num = (value) => Math.round(value).toLocaleString('en-US');
  const us = (value) => (Number.isFinite(value) ? `${num(value)} µs` : 'n/a');
  const signed = (value, text) => `${value < 0 ? '−' : '+'}${text(Math.abs(value))}`;
  const header = [
    'measured',
    'req/s',
    'app CPU / request',
    'Redis commands / request',
    'auth overhead / request (`/me` − same server’s `/public`)',
    'revocation (checked before timing)',
  ];
  const lines = [];
  const breakdown = [];
  for (const row of rows) {
    const r = results[row.id];
    const failures = r.non2xx + r.errors ? ` (${r.non2xx + r.errors} failed)` : '';
    const cells = [
      row.label,
      `${num(r.requestsPerSecond)}${failures}`,
      us(r.appCpuUs),
      r.commands.total.toFixed(2),
    ];
    const base = results[`${row.peer}-public`];
    if (row.scenario === 'me-given' && base) {
      const check = checks.get(row.peer);
      cells.push(
        `${signed(r.appCpuUs - base.appCpuUs, us)} CPU, ` +
          `${signed(r.commands.total - base.commands.total, (v) => v.toFixed(2))} commands`,
        check.revokes
          ? `yes: 401 once the session is deleted`
          : `**no per-request revocation**: still ${check.afterLogout} after its session is deleted`,
      );
    }
    lines.push(cells);
    breakdown.push(
      `- ${row.label}: commandstats ${r.commands.perCommand || 'none'}; rounds ` +
        `${r.rounds.map(num).join(', ')} req/s`,
    );
  }
  const ours = results.guard;
  if (ours && !ours.missing && results.public) {
    lines.push([
      'for comparison, this library: `AccessGuard`, strict, `GET /me` of the sample app (row above)',
      num(ours.requestsPerSecond),
      us(ours.appCpuUs),
      ours.commands.total.toFixed(2),
      `${signed(ours.appCpuUs - results.public.appCpuUs, us)} CPU, ` +
        `${signed(ours.commands.total - results.public.commands.total, (v) => v.toFixed(2))} ` +
        'commands (against the sample app’s `/public`)',
      'not checked here (the e2e tests do)',
    ]);
  }
  const table = [header, header.map(() => '---'), ...lines].map(
    (cells) => `| ${header.map((_, i) => cells[i] ?? '').join(' | ')} |`,
  );
  return [
    '## Peers: what users would pick instead, in the same run',
    '',
    ...table,
    '',
    'Each peer is a minimal server of its own in bench/peers/ (one Node process, Express, on the ' +
      'same redis-server), timed in the same rounds as the rows above; its auth overhead is its `/me` row minus its own `/public` row (app CPU and Redis commands per request, same run). `/me` is sent with one of ' +
      `${CREDENTIALS} sessions made by the server's \`POST /login\`, shared round-robin by the connections.`,
    '',
    'How each was checked before timing: `POST /login` gives a credential, `GET /me` answers 200 ' +
      'with it and 401 without it; then a second session is deleted with `POST /logout` (which ' +
      'must delete a Redis key) and `GET /me` with that deleted session must answer 401, or 200 ' +
      'for the cookie-cache row, which is what "no per-request revocation" means:',
    '',
    ...[...checks].map(([peer, check]) => `- ${peer}: ${check.summary}.`),
    '',
    '- express-session + connect-redis: `session({ store: new RedisStore({ client }) })` with ' +
      'node-redis, `resave: false`, `saveUninitialized: false`, on the routes that use it; `/me` ' +
      'reads `req.session.userId` (express-session reads the session and touches its TTL on ' +
      'every request: `GET` and `EXPIRE`).',
    '- better-auth: `secondaryStorage` over ioredis as its docs show, users in its memory adapter, ' +
      'email and password sign-in; `/me` is `auth.api.getSession({ headers })`. Cookie cache ' +
      "(`session.cookieCache`, 5 minutes) off: two `GET`s (the session, then the user's " +
      '"revoked before" time); on: no Redis, the session is read from a signed cookie (default ' +
      '"compact" strategy: base64url JSON and an HMAC-SHA256 checked on every request).',
    '- Nest passport: `JwtStrategy` (passport-jwt, KeyObject secret) whose `validate()` answers ' +
      'false when `EXISTS session:<sid>` is 0, behind `AuthGuard("jwt")`.',
    '',
    'Redis commands per request, by command, and req/s of each round:',
    '',
    ...breakdown,
    '',
  ];
}
