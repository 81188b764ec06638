import { createHmac, createSecretKey, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import request, { type Response } from 'supertest';
import {
  ACCESS_SECRET,
  REFRESH_SECRET,
  MemoryLogger,
  bearer,
  cookieHeader,
  e2eEnv,
  expectError,
  jwtPayload,
  login,
  setCookies,
  startApp,
  type HttpServer,
  type LoggedIn,
} from './e2e.js';
import { hmacKid } from '../../src/tokens/keys.js';
import { createTestClient, deleteByPrefix, redisUrl, scanByPrefix } from './redis.js';

/*
 * The attack suite's shared machinery. Every attacks-*.security.spec.ts file starts its apps with
 * `useSampleApp()` / `useApp()`; they all log into one capturing logger, and when the file ends
 * the apps are closed and the log is audited against every token, cookie value and secret the
 * file used (jest gives every test file its own module registry, so "the suite" of one audit is
 * one file; each file audits its own log).
 */

export type Claims = Record<string, unknown>;
export type Header = Record<string, unknown>;
export type TokenKind = 'access' | 'refresh';

/** The header `typ` of each kind of token the library signs. */
export const TYP: Record<TokenKind, string> = { access: 'at+jwt', refresh: 'JWT' };

/** The `kid` the app writes for an HMAC secret (every token it accepts names its key). */
export function kidOf(secret: string | Buffer): string {
  return hmacKid(createSecretKey(typeof secret === 'string' ? Buffer.from(secret) : secret));
}

/** The kid of the app's secret for a header's `typ`, unless the header names a `kid` itself. */
function withKid(header: Header): Header {
  if ('kid' in header) return header;
  return { ...header, kid: kidOf(SECRET[header.typ === TYP.refresh ? 'refresh' : 'access']) };
}
/** The keys of the sample apps the suite starts (e2eEnv's). */
export const SECRET: Record<TokenKind, string> = { access: ACCESS_SECRET, refresh: REFRESH_SECRET };
/** The one 401 message of the contract, whatever the cause. */
export const UNAUTHORIZED = 'Unauthorized';
/** The 403 message of a cookie-authenticated write from another site. */
export const CROSS_SITE = 'Cross-site request refused';

// What the file used: audited against the log at the end.

/** Shorter values cannot be searched for in a log without matching ordinary words. */
const MIN_AUDITED_LENGTH = 8;
const seenValues = new Set<string>();
const seenSecrets = new Set<string>([ACCESS_SECRET, REFRESH_SECRET]);

/** Records a token or cookie value the suite sent or received; returns it. */
export function remember<T extends string>(value: T): T {
  if (value.length >= MIN_AUDITED_LENGTH) seenValues.add(value);
  return value;
}

/** Records a secret of an app the suite started (never to appear in a log). */
export function rememberSecret(secret: string): void {
  seenSecrets.add(secret);
}

/** Records every cookie value and token a response handed out. */
export function rememberResponse(res: Response): void {
  const body: unknown = res.body;
  if (body && typeof body === 'object') {
    for (const field of ['accessToken', 'refreshToken']) {
      const value = (body as Record<string, unknown>)[field];
      if (typeof value === 'string') remember(value);
    }
  }
  for (const cookie of setCookies(res).values()) remember(cookie.value);
}

/** What the log must never contain: the full value and, for a JWT, its signature. */
function auditNeedles(value: string): string[] {
  const signature = value.split('.')[2];
  return signature && signature.length >= 16 && signature !== value ? [value, signature] : [value];
}

// Capturing logger: every level, every argument (a stack or an error's context included).

function describeArgument(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  return inspect(value, { depth: 6, breakLength: Infinity });
}

function logLine(level: string, message: unknown, rest: unknown[]): string {
  return [level, message, ...rest].map(describeArgument).join(' ');
}

/** A `MemoryLogger` that keeps the optional arguments too (stacks, contexts, objects). */
export class CapturingLogger extends MemoryLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    this.lines.push(logLine('log', message, rest));
  }
  override error(message: unknown, ...rest: unknown[]): void {
    this.lines.push(logLine('error', message, rest));
  }
  override warn(message: unknown, ...rest: unknown[]): void {
    this.lines.push(logLine('warn', message, rest));
  }
  override debug(message: unknown, ...rest: unknown[]): void {
    this.lines.push(logLine('debug', message, rest));
  }
  override verbose(message: unknown, ...rest: unknown[]): void {
    this.lines.push(logLine('verbose', message, rest));
  }
  override fatal(message: unknown, ...rest: unknown[]): void {
    this.lines.push(logLine('fatal', message, rest));
  }
}

/** The one logger of every app this file starts (and of console output while it runs). */
export const suiteLogger = new CapturingLogger();

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** Copies console output into `suiteLogger` (still printing it); returns the undo. */
function captureConsole(): () => void {
  const originals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      suiteLogger.lines.push(logLine(`console.${method}`, args[0], args.slice(1)));
      original.apply(console, args);
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

/**
 * Where a token, cookie value, secret or the Redis URL appears in the captured log: one entry
 * per leak, naming the kind of value and the log line's level (never the value itself).
 */
export function logLeaks(): string[] {
  const needles: Array<[string, string]> = [
    ...[...seenSecrets].map((secret): [string, string] => ['a secret', secret]),
    ...[...seenValues].flatMap((value) =>
      auditNeedles(value).map((needle): [string, string] => ['a token or cookie value', needle]),
    ),
    ['the Redis URL', redisUrl()],
  ];
  const leaks: string[] = [];
  suiteLogger.lines.forEach((line, index) => {
    for (const [kind, needle] of needles) {
      if (line.includes(needle)) leaks.push(`${kind} in log line ${index} (${line.split(' ')[0]})`);
    }
  });
  return leaks;
}

/** How many values the audit looks for (so a test can show the audit had something to find). */
export function auditedValueCount(): number {
  return seenValues.size;
}

// Apps and their store.

let redisClient: Redis | undefined;

/** The suite's own Redis client (to inspect the apps' keys); quit when the file ends. */
export function store(): Redis {
  redisClient ??= createTestClient();
  return redisClient;
}

/** An app of the attack suite: its Redis key prefix, and the app once `beforeAll` started it. */
export class AttackApp {
  started: INestApplication | undefined;

  constructor(readonly prefix: string) {}

  get app(): INestApplication {
    if (!this.started) throw new Error(`the app under ${this.prefix} is not started`);
    return this.started;
  }

  get server(): HttpServer {
    return this.app.getHttpServer() as HttpServer;
  }
}

const apps: AttackApp[] = [];
let teardownRegistered = false;

/** Closes every app, cleans their keys, then fails if the log holds anything it must not. */
function registerSuiteHooks(): void {
  let restoreConsole: () => void = () => undefined;
  beforeAll(() => {
    restoreConsole = captureConsole();
  });
  afterAll(async () => {
    try {
      for (const target of apps) await target.started?.close();
      for (const target of apps) await deleteByPrefix(store(), target.prefix);
      await redisClient?.quit();
    } finally {
      restoreConsole();
    }
    expect(suiteLogger.lines.length).toBeGreaterThan(0); // the logger really was in use
    expect(logLeaks()).toEqual([]);
  });
}

/**
 * Starts an app for this file in `beforeAll` of the enclosing block (the file's first call must be
 * at its top level, before the file's own hooks: it registers the teardown and the log audit). `start` must give the app `suiteLogger` and the Redis key prefix `prefix`.
 */
export function useApp(
  prefix: string,
  start: (logger: CapturingLogger) => Promise<INestApplication>,
): AttackApp {
  if (!teardownRegistered) {
    teardownRegistered = true;
    registerSuiteHooks();
  }
  const target = new AttackApp(prefix);
  apps.push(target);
  beforeAll(async () => {
    target.started = await start(suiteLogger);
  });
  return target;
}

/** The sample app on the test Redis under a prefix of its own, logging into `suiteLogger`. */
export function useSampleApp(name: string, overrides: Record<string, string> = {}): AttackApp {
  const env = e2eEnv(`attacks-${name}`, overrides);
  return useApp(env.REDIS_KEY_PREFIX, async (logger) => (await startApp(env, logger)).app);
}

/** Logs a demo user in (remembering the tokens it got). */
export async function signIn(target: AttackApp, username: string): Promise<LoggedIn> {
  const session = await login(target.server, username, 'attack-suite');
  remember(session.accessToken);
  remember(session.refreshToken);
  return session;
}

/**
 * `session` when its HASH still exists, else a new login of `username`: an attack that wrongly
 * succeeded (a logout it should not have been able to make) must not fail the tests after it.
 */
export async function ensureLive(
  target: AttackApp,
  session: LoggedIn | undefined,
  username: string,
): Promise<LoggedIn> {
  if (session && (await store().exists(sessionKey(target, session.sessionId))) === 1) {
    return session;
  }
  return signIn(target, username);
}

/** The session fields that creation, rotation and extension change. */
export interface SessionFields {
  /** Last seen (epoch ms). */
  ls: string | null;
  /** Idle expiry. */
  ie: string | null;
  /** Absolute expiry. */
  ae: string | null;
  /** Current refresh jti. */
  j: string | null;
  /** Previous refresh jti. */
  pj: string | null;
}

/** Every session HASH and user index ZSET under an app's prefix, with what changes on use. */
export interface StoreState {
  sessions: Record<string, SessionFields>;
  indexes: Record<string, string[]>;
}

/** A snapshot of an app's keys (README "Redis layout"), for before/after comparisons. */
export async function storeState(target: AttackApp): Promise<StoreState> {
  const keys = (await scanByPrefix(store(), target.prefix)).sort();
  const state: StoreState = { sessions: {}, indexes: {} };
  for (const key of keys) {
    if (key.endsWith(':index')) {
      state.indexes[key] = (await store().zrange(key, 0, '-1', 'WITHSCORES')) as string[];
    } else {
      const [ls, ie, ae, j, pj] = await store().hmget(key, 'ls', 'ie', 'ae', 'j', 'pj');
      state.sessions[key] = { ls, ie, ae, j, pj };
    }
  }
  return state;
}

/** The key of a session's HASH: `<prefix>{<base64url user id>}:<random>`. */
export function sessionKey(target: AttackApp, sessionId: string): string {
  const dot = sessionId.indexOf('.');
  return `${target.prefix}{${sessionId.slice(0, dot)}}:${sessionId.slice(dot + 1)}`;
}

/** The session HASH keys of one user in a snapshot. */
export function sessionKeysOf(state: StoreState, target: AttackApp, userId: string): string[] {
  const tag = `${target.prefix}{${b64url(userId)}}:`;
  return Object.keys(state.sessions).filter((key) => key.startsWith(tag));
}

/** A session's current refresh jti, read from Redis. */
export async function currentJti(target: AttackApp, session: LoggedIn): Promise<string> {
  const jti = await store().hget(sessionKey(target, session.sessionId), 'j');
  if (!jti) throw new Error('the session has no refresh jti in Redis');
  return jti;
}

/** Runs `action` and asserts that no session was created, extended, rotated or removed. */
export async function expectStoreUnchanged<T>(
  target: AttackApp,
  action: () => Promise<T>,
): Promise<T> {
  const before = await storeState(target);
  const result = await action();
  expect(await storeState(target)).toEqual(before);
  return result;
}

// Refusals.

/** The strings of `presented` that must not come back in a response (nor their signatures). */
function echoNeedles(presented: readonly string[]): string[] {
  return presented.filter((value) => value.length >= MIN_AUDITED_LENGTH).flatMap(auditNeedles);
}

/**
 * Asserts the contract's refusal: the status, exactly `{ statusCode, message }` as JSON, no stack,
 * none of the presented values (or their signatures) in the body or any header, and no cookie set
 * to a value (clearing cookies is fine; handing out a token is not).
 */
export function expectRefusal(
  res: Response,
  presented: readonly string[],
  status = 401,
  message: string = UNAUTHORIZED,
): void {
  rememberResponse(res);
  expectError(res, status, message);
  const text = `${res.text}\n${JSON.stringify(res.headers)}`;
  for (const needle of echoNeedles(presented)) expect(text).not.toContain(needle);
  const handedOut = [...setCookies(res).values()].filter((cookie) => cookie.value !== '');
  expect(handedOut.map((cookie) => cookie.name)).toEqual([]);
}

type Method = 'get' | 'post' | 'delete' | 'options';

/** Every route that an access token opens, `:sid` being the victim session's id. */
export const ACCESS_ROUTES: ReadonlyArray<readonly [Method, string]> = [
  ['get', '/me'],
  ['get', '/admin'],
  ['get', '/auth/sessions'],
  ['post', '/auth/logout'],
  ['post', '/auth/logout-all'],
  ['delete', '/auth/sessions/:sid'],
];

/** How a token travels: the Authorization header or the access cookie. */
export type Carrier = 'bearer' | 'cookie';

function carry(carrier: Carrier, token: string): Record<string, string> {
  return carrier === 'bearer'
    ? { Authorization: bearer(token) }
    : { Cookie: cookieHeader({ access_token: token }) };
}

/** One request as supertest sends it. */
export function send(target: AttackApp, method: Method, path: string): request.Test {
  return request(target.server)[method](path);
}

/**
 * Presents `token` as an access token to every route it could open (as Bearer and as the access
 * cookie, without Origin: a non-browser client) and asserts the one 401 everywhere, with nothing
 * changed in the store. `victim` is the session the token aims at (its id is the `:sid` of
 * `DELETE /auth/sessions/:sid`).
 */
export async function expectAccessRefused(
  target: AttackApp,
  token: string,
  victim: LoggedIn,
  options: {
    carriers?: readonly Carrier[];
    presented?: readonly string[];
    routes?: ReadonlyArray<readonly [Method, string]>;
  } = {},
): Promise<void> {
  const carriers = options.carriers ?? ['bearer', 'cookie'];
  const routes = options.routes ?? ACCESS_ROUTES;
  const presented = [token, ...(options.presented ?? [])];
  remember(token);
  await expectStoreUnchanged(target, async () => {
    const responses: Array<[string, Response]> = [];
    for (const [method, route] of routes) {
      const path = route.replace(':sid', encodeURIComponent(victim.sessionId));
      for (const carrier of carriers) {
        const res = await send(target, method, path).set(carry(carrier, token));
        responses.push([`${method.toUpperCase()} ${route} by ${carrier}`, res]);
      }
    }
    // One comparison first, so that a failure names the routes that let the token through.
    expect(responses.map(([what, res]) => [what, res.status])).toEqual(
      responses.map(([what]) => [what, 401]),
    );
    for (const [, res] of responses) expectRefusal(res, presented);
  });
}

/**
 * Presents `token` as a refresh token (cookie) to `POST /auth/refresh` and to `POST /auth/logout`
 * and asserts the one 401 for both, with no rotation, no new session and no session ended (also
 * for a genuine token whose session no longer exists: logout then ends nothing and says 401).
 */
export async function expectRefreshRefused(
  target: AttackApp,
  token: string,
  options: { presented?: readonly string[] } = {},
): Promise<void> {
  const presented = [token, ...(options.presented ?? [])];
  remember(token);
  await expectStoreUnchanged(target, async () => {
    const cookie = { Cookie: cookieHeader({ refresh_token: token }) };
    const refreshed = await send(target, 'post', '/auth/refresh').set(cookie);
    const loggedOut = await send(target, 'post', '/auth/logout').set(cookie);
    expect([refreshed.status, loggedOut.status]).toEqual([401, 401]);
    expectRefusal(refreshed, presented);
    expectRefusal(loggedOut, presented);
  });
}

/** Asserts that `GET /me` accepts the token as `userId`'s (a positive control). */
export async function expectAccessAccepted(
  target: AttackApp,
  token: string,
  userId: string,
): Promise<void> {
  remember(token);
  const res = await send(target, 'get', '/me').set('Authorization', bearer(token));
  expect({ status: res.status, userId: (res.body as { userId?: string }).userId }).toEqual({
    status: 200,
    userId,
  });
}

// Tokens: with the real jsonwebtoken package, and by hand.

/** base64url of a string (UTF-8), bytes, or an object's JSON. */
export function b64url(value: string | Buffer | object): string {
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString(
    'base64url',
  );
}

/** Signs a JWS signing input (`<header>.<payload>`) and returns the base64url signature. */
export type Signer = (input: string) => string;

/** An HMAC signer: any key, even an empty one (which jsonwebtoken refuses to use). */
export function hmac(
  key: string | Buffer | KeyObject,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): Signer {
  return (input) => createHmac(hash, key).update(input).digest('base64url');
}

/**
 * A token built by hand. `header` and `payload` are objects, or raw JSON text (duplicate keys,
 * non-objects); `signature` is a signer or the literal signature text (`''` for none). An object
 * header gets the `kid` of the app's secret of its `typ` unless it names one (so that a hostile
 * token differs from a genuine one only where the test says).
 */
export function forge(
  header: Header | string,
  payload: Claims | string,
  signature: Signer | string = '',
): string {
  const input = `${b64url(typeof header === 'string' ? header : withKid(header))}.${b64url(payload)}`;
  return remember(`${input}.${typeof signature === 'string' ? signature : signature(input)}`);
}

/**
 * A token signed by the real jsonwebtoken package: exactly `payload` (iat only when given), header
 * `{ alg, typ, kid }` of the kind (`refresh` when `payload.type` says so; `kid` of an HMAC `key`
 * as the app writes it) plus `header`.
 */
export function mint(
  payload: Claims,
  key: jwt.Secret,
  options: { algorithm?: jwt.Algorithm; header?: Header; kind?: TokenKind } = {},
): string {
  const kind = options.kind ?? (payload.type === 'refresh' ? 'refresh' : 'access');
  const algorithm = options.algorithm ?? 'HS256';
  return remember(
    jwt.sign(payload, key, {
      algorithm,
      header: {
        alg: algorithm,
        typ: TYP[kind],
        ...(algorithm.startsWith('HS') && (typeof key === 'string' || Buffer.isBuffer(key))
          ? { kid: kidOf(key) }
          : {}),
        ...options.header,
      } as jwt.JwtHeader,
      // jsonwebtoken keeps a given iat, adds one unless told not to, and drops it when told.
      noTimestamp: !('iat' in payload),
    }),
  );
}

/** The claims of a genuine token with `overrides` applied (`undefined` removes a claim). */
export function claimsOf(token: string, overrides: Claims = {}): Claims {
  const claims: Claims = { ...jwtPayload(token), ...overrides };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name];
  }
  return claims;
}

/** The decoded header of a token. */
export function headerOf(token: string): Header {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Header;
}

/** The token with one segment replaced and the rest (signature included) kept as signed. */
export function replaceSegment(token: string, index: 0 | 1 | 2, segment: string): string {
  const parts = token.split('.');
  parts[index] = segment;
  return remember(parts.join('.'));
}

/** Seconds since the epoch, as JWTs count. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// Keys an attacker holds.

/** A key (public or private) as a JWK. */
export function jwkOf(key: KeyObject): Record<string, unknown> {
  return key.export({ format: 'jwk' }) as Record<string, unknown>;
}

/** An EdDSA (Ed25519) signer by hand: jsonwebtoken does not sign EdDSA. */
export function ed25519(privateKey: KeyObject): Signer {
  return (input) => sign(null, Buffer.from(input), privateKey).toString('base64url');
}

/** A server of the attacker's, and every request it got (`<method> <url>`). */
export interface KeyServer {
  readonly url: string;
  readonly hits: readonly string[];
}

/**
 * A server that would hand out the attacker's keys (`jwks()` as JSON) to an app that fetched
 * them from a token's `jku` or `x5u`, counting every request it gets: listening from `beforeAll`
 * of the enclosing block, closed by its `afterAll`.
 */
export function useKeyServer(jwks: () => unknown): KeyServer {
  const hits: string[] = [];
  let url = '';
  const server = http.createServer((req, res) => {
    hits.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(jwks()));
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    get url() {
      return url;
    },
    hits,
  };
}

// Raw HTTP, for what supertest cannot send.

/** The answer to a raw request. `status` 0: the connection ended without an answer. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Makes the app's server listen on a loopback port (once) and returns the port. */
export async function listeningPort(target: AttackApp): Promise<number> {
  const server = target.app.getHttpServer() as http.Server;
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  }
  return (server.address() as AddressInfo).port;
}

function parseRaw(bytes: Buffer): RawResponse {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = end < 0 ? '' : Buffer.from(text.slice(end + 4), 'latin1').toString('utf8');
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
    headers,
    text: body,
  };
}

/**
 * Sends bytes as they are over a new TCP connection and reads the answer until the server
 * closes (send `Connection: close`). A reset after the answer (a server refusing a request it
 * has not read to the end) still gives the answer.
 */
export function rawExchange(port: number, data: Buffer): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks)));
    };
    socket.setTimeout(5000, finish);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(data);
  });
}

/** A raw HTTP/1.1 request; header values may be bytes (control characters, UTF-8). */
export function rawRequest(
  method: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string | Buffer]>,
): Buffer {
  const lines: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`)];
  for (const [name, value] of headers) {
    lines.push(Buffer.from(`${name}: `), Buffer.isBuffer(value) ? value : Buffer.from(value));
    lines.push(Buffer.from('\r\n'));
  }
  lines.push(Buffer.from('Connection: close\r\n\r\n'));
  return Buffer.concat(lines);
}

/**
 * A request through node:http with header lines exactly as listed (name, value, name, value...),
 * repeated names included: the `rawHeaders` array form of `http.request`.
 */
export function requestWithHeaderLines(
  port: number,
  method: string,
  path: string,
  headerLines: readonly string[],
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: ['Host', `127.0.0.1:${port}`, 'Connection', 'close', ...headerLines],
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Asserts a raw answer is the contract's clean 401 (JSON, exact body, nothing echoed). */
export function expectRawRefusal(res: RawResponse, presented: readonly string[]): void {
  expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({
    status: 401,
    body: { statusCode: 401, message: UNAUTHORIZED },
  });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const text = `${res.text}\n${JSON.stringify(res.headers)}`;
  for (const needle of echoNeedles(presented)) expect(text).not.toContain(needle);
}

// Weak keys.

/**
 * 100 JWT secrets that tutorials, framework templates, docs and leaked configs use again and
 * again (jwt.io's default, Express/Passport examples, jsonwebtoken's README, "change me"s and
 * the most common passwords), the head of lists such as jwt_tool's jwt-common.txt.
 */
export const WEAK_JWT_SECRETS: readonly string[] = [
  'your-256-bit-secret',
  'your-384-bit-secret',
  'your-512-bit-secret',
  'secret',
  'Secret',
  'SECRET',
  'secretkey',
  'secretKey',
  'SecretKey',
  'secret_key',
  'secret-key',
  'SECRET_KEY',
  'secret123',
  'secret1',
  's3cr3t',
  'changeme',
  'change_me',
  'change-me',
  'CHANGE_ME',
  'changeit',
  'changethis',
  'password',
  'Password',
  'password1',
  'password123',
  'passw0rd',
  'pass',
  'jwt_secret',
  'jwt-secret',
  'jwtsecret',
  'jwtSecret',
  'JWT_SECRET',
  'jwt',
  'JWT',
  'jwtkey',
  'jwt_key',
  'jwt-key',
  'jwtSecretKey',
  'jwt_secret_key',
  'shhhhh',
  'shhhhhared-secret',
  'keyboard cat',
  'supersecret',
  'super-secret',
  'super_secret',
  'supersecretkey',
  'SuperSecretKey',
  'mysecret',
  'my_secret',
  'my-secret',
  'mysecretkey',
  'my-secret-key',
  'my_secret_key',
  'mySecretKey',
  'your_jwt_secret',
  'your-secret-key',
  'your_secret_key',
  'YOUR_SECRET_KEY',
  'yoursecret',
  'topsecret',
  'thisismysecret',
  'this-is-my-secret',
  'notasecret',
  'secretOrPrivateKey',
  'secretOrKey',
  'private',
  'privatekey',
  'private_key',
  'key',
  'token',
  'tokensecret',
  'token_secret',
  'access_token_secret',
  'refresh_token_secret',
  'ACCESS_TOKEN_SECRET',
  'REFRESH_TOKEN_SECRET',
  'app_secret',
  'APP_SECRET',
  'appsecret',
  'api_secret',
  'auth_secret',
  'session_secret',
  'default',
  'test',
  'testing',
  'dev',
  'development',
  'example',
  'admin',
  '123456',
  '12345678',
  '1234567890',
  'qwerty',
  'abc123',
  'letmein',
  'hello',
  'helloworld',
  'gottacatchemall',
  'nestjs',
  '0123456789abcdef0123456789abcdef',
];
