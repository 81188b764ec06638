import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInThisContext } from 'node:vm';
import request from 'supertest';
import {
  ACCESS_SECRET,
  MemoryLogger,
  PASSWORDS,
  REFRESH_SECRET,
  e2eEnv,
  startApp,
  type LoggedIn,
  type TestApp,
} from './e2e.js';
import { createTestClient, deleteByPrefix, redisUrl, scanByPrefix } from './redis.js';

/** The seed of every fuzz property unless `FUZZ_SEED` says otherwise: CI runs are reproducible. */
export const DEFAULT_SEED = 20_260_317;

/**
 * The seed of this run: `FUZZ_SEED` (an integer, or `random` for a fresh one), else
 * `DEFAULT_SEED`. fast-check prints the seed and the path of any counterexample it finds.
 */
export function seed(): number {
  const raw = process.env.FUZZ_SEED?.trim();
  if (!raw) return DEFAULT_SEED;
  if (raw === 'random') return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) {
    throw new Error(`FUZZ_SEED must be an integer or "random" (got "${raw}")`);
  }
  return value | 0;
}

/**
 * How many cases a property runs: `ciRuns` by default (sized for CI), or `FUZZ_RUNS` times
 * `weight` when `FUZZ_RUNS` is set (`weight` < 1 for properties whose cases are expensive, such
 * as a password check). Never fewer than `ciRuns`.
 */
export function runs(ciRuns: number, weight = 1): number {
  const raw = process.env.FUZZ_RUNS?.trim();
  if (!raw) return ciRuns;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`FUZZ_RUNS must be a positive integer (got "${raw}")`);
  }
  return Math.max(ciRuns, Math.round(value * weight));
}

/**
 * fast-check parameters of one property: the run's seed, `numRuns` generated cases, and
 * `examples` (known-hostile cases, a small corpus) that run first whatever the seed.
 */
export function fuzzParams<Ts extends unknown[]>(
  numRuns: number,
  examples: Ts[] = [],
): fc.Parameters<Ts> {
  return { seed: seed(), numRuns, examples };
}

/** A jest timeout for a property of `numRuns` cases of about `msPerRun` each (shrinking included). */
export function fuzzTimeout(numRuns: number, msPerRun = 20): number {
  return Math.max(30_000, 60_000 + numRuns * msPerRun * 3);
}

/** One fuzz test: every generated case of `cases` (after the `corpus` ones) passes `check`. */
export interface FuzzProperty<T> {
  cases: fc.Arbitrary<T>;
  /** Known-hostile cases that run first, whatever the seed. */
  corpus?: readonly T[];
  check(value: T): Promise<unknown>;
}

/**
 * `it(title)` asserting the property that `build` makes when the test runs (after `beforeAll`)
 * on `numRuns` generated cases with the run's seed, under a timeout that fits them.
 */
export function itHolds<T>(title: string, numRuns: number, build: () => FuzzProperty<T>): void {
  it(
    title,
    async () => {
      const { cases, corpus = [], check } = build();
      await fc.assert(
        fc.asyncProperty(cases, async (value) => {
          await check(value);
        }),
        fuzzParams(
          numRuns,
          corpus.map((value): [T] => [value]),
        ),
      );
    },
    fuzzTimeout(numRuns),
  );
}

/** A sample app listening on a loopback port, with its log kept in memory. */
export interface FuzzApp extends TestApp {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Every line the app logged. */
  logger: MemoryLogger;
  /** The Redis key prefix of this app. */
  prefix: string;
  /** A client of the test Redis (quit by `close`). */
  redis: Redis;
  /** Closes the app, deletes its keys and quits the Redis client. */
  close(): Promise<void>;
}

/**
 * Starts the sample app for one fuzz file (own key prefix, no rate limit) on a free port, with
 * `overrides` in its environment (`HTTP_ADAPTER`, say).
 */
export async function startFuzzApp(
  name: string,
  overrides: Record<string, string> = {},
): Promise<FuzzApp> {
  const env = e2eEnv(name, overrides);
  const logger = new MemoryLogger();
  const t = await startApp(env, logger);
  await t.app.listen(0, '127.0.0.1');
  const { port } = (t.app.getHttpServer() as Server).address() as AddressInfo;
  const redis = createTestClient();
  return {
    ...t,
    url: `http://127.0.0.1:${port}`,
    logger,
    prefix: env.REDIS_KEY_PREFIX,
    redis,
    async close() {
      await t.app.close();
      await deleteByPrefix(redis, env.REDIS_KEY_PREFIX);
      await redis.quit();
    },
  };
}

/** The lines the app logged at level error or fatal (a 500 is logged there by Nest). */
export function loggedErrors(app: FuzzApp): string[] {
  return app.logger.lines.filter((line) => /^(?:error|fatal) /.test(line));
}

/** Unhandled rejections and uncaught exceptions seen in this process since `record...()`. */
export interface FaultRecorder {
  readonly faults: string[];
  /** Removes the listeners. */
  stop(): void;
}

/**
 * Records every `unhandledRejection` and `uncaughtException` of the process. Jest gives test
 * files a copy of `process` whose listeners never fire, so this reaches the real one (the app
 * runs in this process too). Install it in `beforeAll`: jest replaces the process's listeners
 * when its run starts.
 */
export function recordProcessFaults(): FaultRecorder {
  const real = runInThisContext('process') as NodeJS.Process;
  const faults: string[] = [];
  const onRejection = (reason: unknown): void => {
    faults.push(`unhandledRejection: ${describeFault(reason)}`);
  };
  const onException = (error: unknown): void => {
    faults.push(`uncaughtException: ${describeFault(error)}`);
  };
  real.on('unhandledRejection', onRejection);
  real.on('uncaughtException', onException);
  return {
    faults,
    stop() {
      real.off('unhandledRejection', onRejection);
      real.off('uncaughtException', onException);
    },
  };
}

function describeFault(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}

/**
 * Every key of the app's prefix and its content (hash fields, sorted-set members and scores),
 * to compare before and after a property: hostile input must neither create, change nor delete
 * anything (the guard does not write, so not even `lastSeenAt` moves).
 */
export async function storeSnapshot(app: FuzzApp): Promise<Record<string, unknown>> {
  const keys = (await scanByPrefix(app.redis, app.prefix)).sort();
  const snapshot: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await app.redis.type(key);
    if (type === 'hash') snapshot[key] = await app.redis.hgetall(key);
    else if (type === 'zset') snapshot[key] = await app.redis.zrange(key, 0, '-1', 'WITHSCORES');
    else snapshot[key] = type;
  }
  return snapshot;
}

/** How many session hashes (not user indexes) the app's prefix holds. */
export async function sessionCount(app: FuzzApp): Promise<number> {
  return (await scanByPrefix(app.redis, app.prefix)).filter((key) => !key.endsWith(':index'))
    .length;
}

/** A response as the fuzz checks read it. */
export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request sent byte for byte (no URL normalisation, no header rewriting). */
export interface RawRequest {
  method: string;
  /** Sent as is in the request line: characters U+0021 to U+00FF only. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * Sends one request with `node:http` and reads the whole answer. supertest (superagent) parses
 * the URL with WHATWG rules, which rewrite dot segments, backslashes and some percent sequences;
 * the path fuzz needs them to reach the server as generated.
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: req.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Everything that must never appear in an error body: secrets, passwords, tokens, Redis URL. */
export function secretsOf(...sessions: LoggedIn[]): string[] {
  const secrets = [ACCESS_SECRET, REFRESH_SECRET, redisUrl(), ...Object.values(PASSWORDS)];
  for (const session of sessions) {
    for (const token of [session.accessToken, session.refreshToken]) {
      secrets.push(token, ...token.split('.').filter((part) => part.length >= 16));
    }
  }
  return secrets;
}

/** What an error answer must be; `message` is checked only when given. */
export interface ErrorExpectation {
  /** The allowed statuses (all 4xx). */
  status: number | readonly number[];
  message?: string;
  /** Strings that must not appear in the body. */
  secrets?: readonly string[];
}

/**
 * Throws unless `res` is one of the allowed 4xx statuses with a JSON body of exactly
 * `{ statusCode, message }` (message a string or a list of strings) holding no stack, no file
 * position and none of the secrets.
 */
export function checkError(res: FuzzResponse, expected: ErrorExpectation): void {
  const allowed = typeof expected.status === 'number' ? [expected.status] : expected.status;
  const fail = (problem: string): never => {
    throw new Error(
      `${problem}\n  got ${res.status} ${String(res.headers['content-type'])}: ` +
        JSON.stringify(res.text.slice(0, 500)),
    );
  };
  if (!allowed.includes(res.status)) fail(`status ${res.status}, expected ${allowed.join('|')}`);
  if (res.status < 400 || res.status > 499) fail('not a 4xx');
  if (!/^application\/json\b/.test(String(res.headers['content-type']))) fail('not JSON');
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    fail('body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('body not an object');
  const record = body as Record<string, unknown>;
  if (Object.keys(record).sort().join(',') !== 'message,statusCode') fail('body keys');
  if (record.statusCode !== res.status) fail('statusCode differs from the status');
  const { message } = record;
  const isMessage =
    typeof message === 'string' ||
    (Array.isArray(message) && message.every((item) => typeof item === 'string'));
  if (!isMessage) fail('message is not a string or a list of strings');
  if (expected.message !== undefined && message !== expected.message) {
    fail(`message, expected ${JSON.stringify(expected.message)}`);
  }
  if (/stack|\.(?:js|ts):\d+|\bat [\w.<>]+ \(/i.test(res.text)) fail('stack or file position');
  for (const secret of expected.secrets ?? []) {
    if (secret.length >= 4 && res.text.includes(secret)) fail('a secret or token in the body');
  }
}

/** Throws unless `res` has status `status` (for successes, where the body is the route's). */
export function checkStatus(res: FuzzResponse, status: number | readonly number[]): void {
  const allowed = typeof status === 'number' ? [status] : status;
  if (!allowed.includes(res.status)) {
    throw new Error(
      `status ${res.status}, expected ${allowed.join('|')}: ${JSON.stringify(res.text.slice(0, 300))}`,
    );
  }
}

/** Sends a request with supertest to the listening app and reads the answer. */
export async function send(
  app: FuzzApp,
  method: 'get' | 'post' | 'delete',
  path: string,
  headers: Record<string, string> = {},
): Promise<FuzzResponse> {
  const res = await request(app.url)[method](path).set(headers);
  return {
    status: res.status,
    headers: res.headers as Record<string, string | string[] | undefined>,
    text: res.text ?? '',
  };
}

/** base64url of a string's UTF-8 bytes (or of bytes). */
export function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url');
}

/** The parts of a compact JWT, decoded without verification (`undefined` when not JSON). */
export function decodeJwt(token: string): { header: unknown; payload: unknown } {
  const [header = '', payload = ''] = token.split('.');
  const parse = (segment: string): unknown => {
    try {
      return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  };
  return { header: parse(header), payload: parse(payload) };
}

/** How a forged token is signed. */
export interface Signer {
  name: string;
  sign(input: string): string;
}

/** An HMAC signer (`sha256` is HS256). */
export function hmacSigner(name: string, key: string, hash = 'sha256'): Signer {
  return { name, sign: (input) => createHmac(hash, key).update(input).digest('base64url') };
}

/** The access key of the sample app under test: whatever it signs is a genuine token. */
export const ACCESS_KEY_SIGNER = hmacSigner('access key HS256', ACCESS_SECRET);
/** The refresh key of the sample app under test. */
export const REFRESH_KEY_SIGNER = hmacSigner('refresh key HS256', REFRESH_SECRET);

/** Signers an attacker has: no signature, wrong keys, other algorithms, the other token's key. */
export function attackerSigners(kind: 'access' | 'refresh'): Signer[] {
  const rightKey = kind === 'access' ? ACCESS_SECRET : REFRESH_SECRET;
  return [
    { name: 'empty signature', sign: () => '' },
    { name: 'literal "none"', sign: () => 'none' },
    hmacSigner('empty key', ''),
    hmacSigner('"secret"', 'secret'),
    hmacSigner('attacker key', 'attacker-key-0123456789abcdefghijklmnopqrstuvwxyz'),
    kind === 'access'
      ? hmacSigner('refresh key', REFRESH_SECRET)
      : hmacSigner('access key', ACCESS_SECRET),
    hmacSigner('right key, HS384', rightKey, 'sha384'),
    hmacSigner('right key, HS512', rightKey, 'sha512'),
  ];
}

/** A compact JWT over the given header and payload segments, signed by `signer`. */
export function compactJwt(header: string, payload: string, signer: Signer): string {
  const input = `${header}.${payload}`;
  return `${input}.${signer.sign(input)}`;
}

/** The bearer token an `Authorization` value presents, read as RFC 6750 does; else `undefined`. */
export function presentedBearer(value: string): string | undefined {
  return /^bearer +(\S+)$/i.exec(value.replace(/^[ \t]+|[ \t]+$/g, ''))?.[1];
}

/**
 * The value of cookie `name` in a `Cookie` header as RFC 6265 reads it (pairs split on `;`,
 * name and value trimmed), or `undefined` when it is absent or sent more than once.
 */
export function presentedCookie(header: string, name: string): string | undefined {
  const values = header
    .split(';')
    .filter((pair) => pair.includes('=') && pair.slice(0, pair.indexOf('=')).trim() === name)
    .map((pair) => pair.slice(pair.indexOf('=') + 1).trim());
  return values.length === 1 ? values[0] : undefined;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** One character a header value can carry: visible ASCII and space, HTAB, obs-text (latin1). */
export const headerChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\t') },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
);

/** One character a JWT could be mistaken to contain. */
export const tokenChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...BASE64URL) },
  { weight: 2, arbitrary: fc.constantFrom('.', '=', '+', '/', ' ', '%', '"', ';', ',', '\\') },
  { weight: 1, arbitrary: headerChar },
);

/** A string that can be sent as a header value, built from `units` (default: any character). */
export function headerText(
  maxLength: number,
  units: readonly string[] = [],
  minLength = 0,
): fc.Arbitrary<string> {
  const unit =
    units.length === 0
      ? headerChar
      : fc.oneof(
          { weight: 3, arbitrary: headerChar },
          { weight: 1, arbitrary: fc.constantFrom(...units) },
        );
  return fc.string({ unit, minLength, maxLength });
}

/** A run of base64url characters (the alphabet of JWT segments and session ids). */
export function base64urlText(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...BASE64URL), minLength, maxLength });
}

/** One edit of a token's text or structure; a list of them is applied in order. */
export type TokenMutation =
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'flipCase'; at: number }
  | { kind: 'flipBit'; segment: number; bit: number }
  | { kind: 'permute'; order: readonly number[] }
  | { kind: 'drop'; segment: number }
  | { kind: 'duplicate'; segment: number }
  | { kind: 'append'; text: string }
  | { kind: 'borrow'; segment: number; donor: number }
  | { kind: 'reencode'; segment: number; as: 'base64' | 'padded' }
  | { kind: 'empty'; segment: number };

const PERMUTATIONS = [
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const;

/** One arbitrary `TokenMutation`. */
export const tokenMutation: fc.Arbitrary<TokenMutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: tokenChar }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.string({ unit: tokenChar, minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flipCase' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flipBit' as const), segment: fc.nat(2), bit: fc.nat() }),
  fc.record({ kind: fc.constant('permute' as const), order: fc.constantFrom(...PERMUTATIONS) }),
  fc.record({ kind: fc.constant('drop' as const), segment: fc.nat(2) }),
  fc.record({ kind: fc.constant('duplicate' as const), segment: fc.nat(2) }),
  fc.record({
    kind: fc.constant('append' as const),
    text: fc.string({ unit: tokenChar, maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant('borrow' as const), segment: fc.nat(2), donor: fc.nat() }),
  fc.record({
    kind: fc.constant('reencode' as const),
    segment: fc.nat(2),
    as: fc.constantFrom('base64' as const, 'padded' as const),
  }),
  fc.record({ kind: fc.constant('empty' as const), segment: fc.nat(2) }),
);

/** Applies one mutation; `donors` are other genuine tokens whose segments can be borrowed. */
export function applyMutation(token: string, m: TokenMutation, donors: readonly string[]): string {
  const parts = token.split('.');
  const seg = (i: number): number => i % Math.max(parts.length, 1);
  const pos = (at: number): number => at % (token.length + 1);
  switch (m.kind) {
    case 'replace':
      return token.slice(0, pos(m.at)) + m.char + token.slice(pos(m.at) + 1);
    case 'insert':
      return token.slice(0, pos(m.at)) + m.text + token.slice(pos(m.at));
    case 'delete':
      return token.slice(0, pos(m.at)) + token.slice(pos(m.at) + m.count);
    case 'truncate':
      return token.slice(0, pos(m.at));
    case 'flipCase': {
      const c = token.charAt(pos(m.at));
      const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return token.slice(0, pos(m.at)) + flipped + token.slice(pos(m.at) + 1);
    }
    case 'flipBit': {
      const i = seg(m.segment);
      const bytes = Buffer.from(parts[i] ?? '', 'base64url');
      if (bytes.length === 0) return token;
      const bit = m.bit % (bytes.length * 8);
      bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      parts[i] = bytes.toString('base64url');
      return parts.join('.');
    }
    case 'permute':
      return m.order.map((i) => parts[i] ?? '').join('.');
    case 'drop':
      return parts.filter((_, i) => i !== seg(m.segment)).join('.');
    case 'duplicate':
      parts.splice(seg(m.segment), 0, parts[seg(m.segment)] ?? '');
      return parts.join('.');
    case 'append':
      return `${token}.${m.text}`;
    case 'borrow': {
      const donor = donors.length > 0 ? donors[m.donor % donors.length] : undefined;
      const part = donor?.split('.')[m.segment % 3];
      if (part === undefined) return token;
      parts[seg(m.segment)] = part;
      return parts.join('.');
    }
    case 'reencode': {
      const i = seg(m.segment);
      const part = parts[i] ?? '';
      // Standard base64 (`+`, `/`, padding), or base64url with padding: the same bytes either way.
      parts[i] =
        m.as === 'base64'
          ? Buffer.from(part, 'base64url').toString('base64')
          : `${part}${'='.repeat((4 - (part.length % 4)) % 4 || 2)}`;
      return parts.join('.');
    }
    case 'empty':
      parts[seg(m.segment)] = '';
      return parts.join('.');
  }
}

/** A mutated genuine token and the mutations that made it. */
export interface MutatedToken {
  mutations: TokenMutation[];
  token: string;
}

/**
 * One to four mutations of `genuine`, applied in order. The result differs from `genuine` and
 * passes `keep` (say, "does not present the genuine token after trimming").
 */
export function mutatedToken(
  genuine: string,
  donors: readonly string[],
  keep: (token: string) => boolean = () => true,
): fc.Arbitrary<MutatedToken> {
  return fc
    .array(tokenMutation, { minLength: 1, maxLength: 4 })
    .map((mutations) => ({
      mutations,
      token: mutations.reduce((token, m) => applyMutation(token, m, donors), genuine),
    }))
    .filter(({ token }) => token !== genuine && keep(token));
}

/** Header fields an attacker adds to steer key selection, with values worth trying. */
const HOSTILE_HEADER_FIELDS = ['kid', 'jku', 'jwk', 'x5u', 'x5c', 'crit', 'cty', 'b64', 'zip'];
const HOSTILE_HEADER_VALUES = [
  '../../../../dev/null',
  "' OR 1=1 --",
  'http://127.0.0.1:1/jwks.json',
  '',
  0,
  null,
  ['alg'],
  { kty: 'oct', k: '' },
  false,
];
const ALGS = [
  'HS256',
  'hs256',
  'HS384',
  'HS512',
  'none',
  'None',
  'NONE',
  'nOnE',
  'RS256',
  'ES256',
  'PS256',
  'EdDSA',
  '',
];
const TYPS = ['at+jwt', 'JWT', 'jwt', 'AT+JWT', 'application/at+jwt', 'refresh', ''];

/** Edits of a JSON object: set a key to a value, or delete it. */
export type ObjectEdit = { key: string; value: unknown } | { key: string; remove: true };

/** Applies edits to a copy of `base` (own properties only, so `__proto__` stays a plain key). */
export function applyEdits(
  base: Record<string, unknown>,
  edits: readonly ObjectEdit[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) define(result, key, value);
  for (const edit of edits) {
    if ('remove' in edit) delete result[edit.key];
    else define(result, edit.key, edit.value);
  }
  return result;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A JSON value, small. */
export const smallJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });

/** A JWT header: arbitrary JSON, or the genuine one with hostile edits. */
export function jwtHeader(genuine: Record<string, unknown>): fc.Arbitrary<unknown> {
  const edit: fc.Arbitrary<ObjectEdit> = fc.oneof(
    fc.record({
      key: fc.constant('alg'),
      value: fc.oneof(fc.constantFrom<unknown>(...ALGS), smallJson),
    }),
    fc.record({
      key: fc.constant('typ'),
      value: fc.oneof(fc.constantFrom<unknown>(...TYPS), smallJson),
    }),
    fc.record({
      key: fc.constantFrom(...HOSTILE_HEADER_FIELDS),
      value: fc.oneof(fc.constantFrom(...HOSTILE_HEADER_VALUES), smallJson),
    }),
    fc.record({ key: fc.constantFrom('alg', 'typ'), remove: fc.constant(true as const) }),
  );
  return fc.oneof(
    { weight: 1, arbitrary: smallJson },
    { weight: 7, arbitrary: edited(genuine, edit) },
  );
}

/**
 * `genuine` as is (a quarter of the time), with one edit (half) or with two to four: single
 * edits keep the rest right, so that each check is reached on its own.
 */
function edited(
  genuine: Record<string, unknown>,
  edit: fc.Arbitrary<ObjectEdit>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 2, arbitrary: fc.array(edit, { minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.array(edit, { minLength: 2, maxLength: 4 }) },
    )
    .map((edits) => applyEdits(genuine, edits));
}

/** Claim values worth trying, given the genuine sessions of the file. */
export interface ClaimTargets {
  userIds: string[];
  sessionIds: string[];
  nowSeconds: number;
}

const CLAIMS = ['sub', 'sid', 'jti', 'type', 'role', 'iat', 'exp', 'nbf', 'iss', 'aud'];
const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'admin', 'scope', 'foo', ''];

function claimValue(key: string, targets: ClaimTargets): fc.Arbitrary<unknown> {
  const now = targets.nowSeconds;
  const time = fc.oneof(
    fc.integer({ min: now + 60, max: now + 10 * 365 * 86_400 }),
    fc.integer({ min: 0, max: now - 60 }),
    fc.constantFrom<unknown>(now + 600.5, -1, 1e300, Number.MAX_SAFE_INTEGER, '9999999999', null, [
      now + 600,
    ]),
  );
  const targeted: Record<string, fc.Arbitrary<unknown>> = {
    sub: fc.constantFrom<unknown>(...targets.userIds, '', 'ALICE', 'alice ', 'alice\u0000'),
    sid: fc.oneof(
      fc.constantFrom<unknown>(...targets.sessionIds),
      fc
        .constantFrom(...targets.sessionIds)
        .chain((sid) => mutatedToken(sid, targets.sessionIds).map((m) => m.token)),
    ),
    jti: fc.oneof(base64urlText(43, 43), base64urlText(0, 60), fc.constant(null)),
    type: fc.constantFrom<unknown>('access', 'refresh', 'ACCESS', 'Access', '', null),
    role: fc.constantFrom<unknown>('admin', 'user', '', 'ADMIN', null, ['admin'], { admin: true }),
    iat: time,
    exp: time,
    nbf: time,
  };
  return fc.oneof(
    { weight: 3, arbitrary: targeted[key] ?? smallJson },
    { weight: 1, arbitrary: smallJson },
  );
}

/** A JWT payload: arbitrary JSON, a non-object, or the genuine payload with claims edited. */
export function jwtPayload(
  genuine: Record<string, unknown>,
  targets: ClaimTargets,
): fc.Arbitrary<unknown> {
  const edit: fc.Arbitrary<ObjectEdit> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(...CLAIMS)
        .chain((key) => fc.record({ key: fc.constant(key), value: claimValue(key, targets) })),
    },
    {
      weight: 1,
      arbitrary: fc.record({ key: fc.constantFrom(...CLAIMS), remove: fc.constant(true as const) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 6 })),
        value: smallJson,
      }),
    },
  );
  return fc.oneof(
    { weight: 1, arbitrary: smallJson },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 0, '', true, 'x', {}, [null]) },
    { weight: 6, arbitrary: edited(genuine, edit) },
  );
}

/** How a segment is written: compact JSON, pretty JSON, or raw bytes that are not JSON text. */
export type SegmentEncoding = 'json' | 'pretty' | { bytes: Uint8Array };

/** A segment encoding (mostly compact JSON). */
export const segmentEncoding: fc.Arbitrary<SegmentEncoding> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('json' as const) },
  { weight: 1, arbitrary: fc.constant('pretty' as const) },
  { weight: 1, arbitrary: fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }) },
);

/** `JSON.stringify`, with every character past U+007E escaped so that the text is ASCII. */
export function asciiJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The base64url segment of `value` written with `encoding`, and the JSON text it carries. */
export function encodeSegment(
  value: unknown,
  encoding: SegmentEncoding,
): { segment: string; text: string } {
  // JSON written in ASCII (\u escapes): jws reads the header as latin1, the payload as UTF-8.
  const text =
    encoding === 'json'
      ? asciiJson(value)
      : encoding === 'pretty'
        ? asciiJson(value, 1)
        : Buffer.from(encoding.bytes).toString('utf8');
  const segment = typeof encoding === 'object' ? b64url(encoding.bytes) : b64url(text);
  return { segment, text };
}

/** A token built from a header and a payload, as sent and as the model reads it. */
export interface ForgedJwt {
  header: unknown;
  headerEncoding: SegmentEncoding;
  payload: unknown;
  payloadEncoding: SegmentEncoding;
  /** The name of the signer. */
  signer: string;
  token: string;
  /** The JSON text (or bytes as UTF-8) of each segment. */
  headerText: string;
  payloadText: string;
}

/** Encodes and signs a header and a payload. */
export function forgeJwt(
  header: unknown,
  payload: unknown,
  signer: Signer,
  headerEncoding: SegmentEncoding = 'json',
  payloadEncoding: SegmentEncoding = 'json',
): ForgedJwt {
  const h = encodeSegment(header, headerEncoding);
  const p = encodeSegment(payload, payloadEncoding);
  return {
    header,
    headerEncoding,
    payload,
    payloadEncoding,
    signer: signer.name,
    token: compactJwt(h.segment, p.segment, signer),
    headerText: h.text,
    payloadText: p.text,
  };
}

/**
 * Tokens re-encoded from `base` (a genuine token's header and payload): arbitrary or edited
 * header and payload, written as compact or pretty JSON or as raw bytes, signed by `signers`.
 */
export function forgedJwt(
  base: { header: unknown; payload: unknown },
  targets: ClaimTargets,
  signers: fc.Arbitrary<Signer>,
): fc.Arbitrary<ForgedJwt> {
  return fc
    .record({
      header: jwtHeader(base.header as Record<string, unknown>),
      headerEncoding: segmentEncoding,
      payload: jwtPayload(base.payload as Record<string, unknown>, targets),
      payloadEncoding: segmentEncoding,
      signer: signers,
    })
    .map((c) => forgeJwt(c.header, c.payload, c.signer, c.headerEncoding, c.payloadEncoding));
}

/** The header as the model reads it: the header segment's JSON, else `undefined`. */
export function modelHeader(jwt: ForgedJwt): unknown {
  try {
    return JSON.parse(jwt.headerText);
  } catch {
    return undefined;
  }
}

/** What the library must make of an access token signed with its own key. */
export type Verdict = 'accept' | 'reject' | 'either';

const JTI = /^[A-Za-z0-9_-]{43}$/;
const REGISTERED = new Set(CLAIMS);
const TIME_MARGIN = 5; // seconds: closer to now than this, the outcome depends on the clock

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kid the module derives for the access secret (README, "Keys and JWKS"). */
const ACCESS_KID = createHash('sha256')
  .update('nest-redis-sessions hmac kid\0')
  .update(ACCESS_SECRET)
  .digest('base64url')
  .slice(0, 16);

/**
 * The README's rules for an access token whose signature is right (HS256 with the access key):
 * header exactly `{ alg: 'HS256', typ: 'at+jwt' }` plus at most the access key's own `kid`;
 * payload an object whose `exp` (integer, future), `iat` (integer, not future), `sub`, `sid` (a
 * live session of `sub`), `jti` (43 base64url characters) and `type: 'access'` are present and well-typed; `nbf`, when present, a
 * number not in the future; `role` a string when present; no claim but the registered ones (the
 * sample app has no custom claims); at most 4096 characters. `live` maps live session ids to
 * their user ids.
 */
export function accessVerdict(jwt: ForgedJwt, live: ReadonlyMap<string, string>): Verdict {
  if (jwt.token.length > 4096) return 'reject';
  const header = modelHeader(jwt);
  if (!isPlainObject(header) || header.alg !== 'HS256' || header.typ !== 'at+jwt') return 'reject';
  if (Object.keys(header).some((key) => key !== 'alg' && key !== 'typ' && key !== 'kid')) {
    return 'reject';
  }
  if (Object.hasOwn(header, 'kid') && header.kid !== ACCESS_KID) return 'reject';
  let payload: unknown;
  try {
    payload = JSON.parse(jwt.payloadText);
  } catch {
    return 'reject';
  }
  if (!isPlainObject(payload)) return 'reject';
  const { sub, sid, jti, type, role, exp, iat, nbf } = payload;
  if (Object.keys(payload).some((key) => !REGISTERED.has(key))) return 'reject';
  if (type !== 'access' || typeof sid !== 'string' || typeof sub !== 'string') return 'reject';
  if (live.get(sid) !== sub) return 'reject';
  if (typeof jti !== 'string' || !JTI.test(jti)) return 'reject';
  if (Object.hasOwn(payload, 'role') && typeof role !== 'string') return 'reject';
  if (!Number.isInteger(exp) || !Number.isInteger(iat)) return 'reject';
  if (Object.hasOwn(payload, 'nbf') && typeof nbf !== 'number') return 'reject';
  const now = Date.now() / 1000;
  const times = [exp as number, iat as number, ...(typeof nbf === 'number' ? [nbf] : [])];
  if (times.some((t) => Math.abs(t - now) < TIME_MARGIN)) return 'either';
  if ((exp as number) <= now || (iat as number) > now) return 'reject';
  if (typeof nbf === 'number' && nbf > now) return 'reject';
  return 'accept';
}
