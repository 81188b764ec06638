import type { INestApplication, LoggerService } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createSampleApp } from '../../sample-app/bootstrap.js';
import { HTTP_ADAPTERS, type HttpAdapterName } from '../../sample-app/config.js';
import request, { type Response } from 'supertest';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from './redis.js';
import { startSampleProcess, type SampleProcess } from './sample-process.js';

/** What supertest's `request()` accepts: the app's HTTP server. */
export type HttpServer = Parameters<typeof request>[0];

export const ACCESS_SECRET = 'e2e-access-secret-0123456789abcdefghijklmnopqrstuvwxyz';
export const REFRESH_SECRET = 'e2e-refresh-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export const PASSWORDS: Record<string, string> = {
  alice: 'alice-password-1',
  bob: 'bob-password-1',
  admin: 'admin-password-1',
};

/**
 * The Nest platforms every e2e spec runs on: each wraps its tests in
 * `describe.each(ADAPTERS)('on %s', (adapter) => …)` and starts its apps with
 * `HTTP_ADAPTER: adapter`. `E2E_ADAPTERS=fastify` (comma-separated) runs the named ones only.
 */
export const ADAPTERS: readonly HttpAdapterName[] = selectAdapters(process.env.E2E_ADAPTERS);

function selectAdapters(list: string | undefined): HttpAdapterName[] {
  if (!list?.trim()) return [...HTTP_ADAPTERS];
  return list.split(',').map((entry) => {
    const name = HTTP_ADAPTERS.find((adapter) => adapter === entry.trim());
    if (!name) throw new Error(`E2E_ADAPTERS: unknown adapter "${entry.trim()}"`);
    return name;
  });
}

/** The environment of one sample-app instance, with the key prefix it stores under. */
export type E2eEnv = NodeJS.ProcessEnv & { REDIS_KEY_PREFIX: string };

/** The environment of one sample-app instance: the test Redis under a prefix of its own. */
export function e2eEnv(name: string, overrides: Record<string, string> = {}): E2eEnv {
  return {
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: uniquePrefix(name),
    ACCESS_SECRET,
    REFRESH_SECRET,
    // Tests log in far more often than a person; the rate limit has its own tests.
    RATE_LIMIT_PER_MINUTE: '0',
    ...overrides,
  };
}

/** A Nest logger that keeps every line it is given. */
export class MemoryLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(`log ${String(message)}`);
  }
  error(message: unknown): void {
    this.lines.push(`error ${String(message)}`);
  }
  warn(message: unknown): void {
    this.lines.push(`warn ${String(message)}`);
  }
  debug(message: unknown): void {
    this.lines.push(`debug ${String(message)}`);
  }
  verbose(message: unknown): void {
    this.lines.push(`verbose ${String(message)}`);
  }
  fatal(message: unknown): void {
    this.lines.push(`fatal ${String(message)}`);
  }
}

/** A running (not listening) sample app and its HTTP server; close it with `app.close()`. */
export interface TestApp {
  app: INestApplication;
  server: HttpServer;
}

/** Creates the sample app quietly (errors only, unless a logger is given). */
export async function startApp(
  env: NodeJS.ProcessEnv,
  logger: LoggerService | false | ['error'] = ['error'],
): Promise<TestApp> {
  const app = await createSampleApp(env, { logger });
  const platform = app.getHttpAdapter().getType();
  if (env.HTTP_ADAPTER && platform !== env.HTTP_ADAPTER.toLowerCase()) {
    await app.close();
    throw new Error(`HTTP_ADAPTER=${env.HTTP_ADAPTER} started the app on ${platform}`);
  }
  return { app, server: app.getHttpServer() as HttpServer };
}

/** Where the keys of an app started by `useApp` live, for its hooks to delete them. */
export interface KeyStore {
  /** Called first by `beforeAll` (to connect a client of its own, say). */
  open?(): void;
  deleteByPrefix(prefix: string): Promise<unknown>;
  /** Called last by `afterAll`. */
  close?(): Promise<unknown>;
}

export interface UseAppOptions {
  /** Delete the app's keys after each test; without it, once after the last test. */
  cleanEach?: boolean;
  /** The logger to start the app with (see `startApp`). */
  logger?: LoggerService | false | ['error'];
}

/** An app started by `beforeAll`: reading `app` or `server` before then throws. */
export interface UsedApp extends Readonly<TestApp> {
  readonly env: E2eEnv;
}

/** Throws unless `value` is set: a hook that sets it has not run yet. */
function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} not started (use it inside a test or hook)`);
  return value;
}

/**
 * One sample app on `env` for the tests of the enclosing block: `beforeAll` starts it, the keys
 * under its prefix are deleted after each test (`cleanEach`) or after all of them, and `afterAll`
 * closes it.
 */
export function useApp(
  env: E2eEnv,
  store: KeyStore,
  { cleanEach = false, logger }: UseAppOptions = {},
): UsedApp {
  let t: TestApp | undefined;
  beforeAll(async () => {
    store.open?.();
    t = await startApp(env, logger);
  });
  if (cleanEach) {
    afterEach(async () => {
      await store.deleteByPrefix(env.REDIS_KEY_PREFIX);
    });
  }
  afterAll(async () => {
    await t?.app.close();
    if (!cleanEach) await store.deleteByPrefix(env.REDIS_KEY_PREFIX);
    await store.close?.();
  });
  return {
    env,
    get app() {
      return started(t, 'app').app;
    },
    get server() {
      return started(t, 'app').server;
    },
  };
}

/** A sample app of `useSampleApp`, with the test Redis client that cleans up after it. */
export interface SampleApp extends UsedApp {
  readonly redis: Redis;
}

/**
 * `useApp` on `e2eEnv(name, overrides)`: the sample app on the test Redis under a prefix of its
 * own, with a client of its own (quit by `afterAll`) to delete its keys.
 */
export function useSampleApp(
  name: string,
  overrides: Record<string, string> = {},
  options: UseAppOptions = {},
): SampleApp {
  let redis: Redis | undefined;
  const used = useApp(
    e2eEnv(name, overrides),
    {
      open: () => {
        redis = createTestClient();
      },
      deleteByPrefix: (prefix) => deleteByPrefix(started(redis, 'Redis client'), prefix),
      close: async () => {
        await redis?.quit();
      },
    },
    options,
  );
  return {
    env: used.env,
    get app() {
      return used.app;
    },
    get server() {
      return used.server;
    },
    get redis() {
      return started(redis, 'Redis client');
    },
  };
}

/** A sample app of `useSampleProcess`: its URL once `beforeAll` started it. */
export interface SampleProcessApp {
  readonly url: string;
}

/**
 * The built sample app in a process of its own (for what cannot load in jest's ESM runtime, such
 * as @nestjs/throttler) on `e2eEnv(name, overrides)`, for the tests of the enclosing block:
 * `beforeAll` starts it, `afterAll` stops it and deletes the keys under its prefix.
 */
export function useSampleProcess(
  name: string,
  overrides: Record<string, string> = {},
): SampleProcessApp {
  const env = e2eEnv(name, overrides) as Record<string, string>;
  let sample: SampleProcess | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    sample = await startSampleProcess(env);
    redis = createTestClient();
  });
  afterAll(async () => {
    await sample?.stop();
    if (redis) {
      await deleteByPrefix(redis, env.REDIS_KEY_PREFIX);
      await redis.quit();
    }
  });
  return {
    get url() {
      return started(sample, 'sample process').url;
    },
  };
}

/** `GET /me` with a Bearer access token. */
export function me(server: HttpServer, accessToken: string): request.Test {
  return request(server).get('/me').set('Authorization', bearer(accessToken));
}

/** `POST /auth/refresh` with a refresh token in its cookie. */
export function refresh(server: HttpServer, refreshToken: string): request.Test {
  return request(server)
    .post('/auth/refresh')
    .set('Cookie', cookieHeader({ refresh_token: refreshToken }));
}

/** One `Set-Cookie` header, parsed; attribute names are lower-cased. */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
  raw: string;
}

/** The `Set-Cookie` headers of a response by cookie name (the last one wins). */
export function setCookies(res: Response): Map<string, SetCookie> {
  const header: unknown = res.headers['set-cookie'];
  const lines = Array.isArray(header) ? header.map(String) : header ? [String(header)] : [];
  const cookies = new Map<string, SetCookie>();
  for (const raw of lines) {
    const [pair = '', ...rest] = raw.split(';');
    const eq = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const part of rest) {
      const at = part.indexOf('=');
      if (at < 0) attributes[part.trim().toLowerCase()] = true;
      else attributes[part.slice(0, at).trim().toLowerCase()] = part.slice(at + 1).trim();
    }
    const name = pair.slice(0, eq).trim();
    cookies.set(name, { name, value: pair.slice(eq + 1).trim(), attributes, raw });
  }
  return cookies;
}

/** The cookie called `name` set by a response; fails the test when it is absent. */
export function setCookie(res: Response, name: string): SetCookie {
  const cookie = setCookies(res).get(name);
  if (!cookie) throw new Error(`response ${res.status} set no ${name} cookie`);
  return cookie;
}

/** A session opened by `login()`. */
export interface LoggedIn {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** The response's body as sent. */
  body: Record<string, unknown>;
}

/** Logs a demo user in and returns the session's tokens (the refresh token from its cookie). */
export async function login(
  server: HttpServer,
  username: string,
  userAgent = 'e2e-tests',
): Promise<LoggedIn> {
  const res = await request(server)
    .post('/auth/login')
    .set('User-Agent', userAgent)
    .send({ username, password: PASSWORDS[username] });
  if (res.status !== 200) {
    throw new Error(`login of ${username} answered ${res.status}: ${res.text}`);
  }
  const body = res.body as { accessToken: string; sessionId: string; user: { id: string } };
  return {
    userId: body.user.id,
    sessionId: body.sessionId,
    accessToken: body.accessToken,
    refreshToken: setCookie(res, 'refresh_token').value,
    body: res.body as Record<string, unknown>,
  };
}

/** `Authorization` header value for an access token. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** A `Cookie` header carrying the given cookies. */
export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

/**
 * Asserts the one error body of the contract: JSON, exactly `{ statusCode, message }`, no stack,
 * and none of the given tokens (nor their signatures) anywhere in it.
 */
export function expectError(
  res: Response,
  statusCode: number,
  message: string | string[],
  tokens: string[] = [],
): void {
  expect({ status: res.status, body: res.body as unknown }).toEqual({
    status: statusCode,
    body: { statusCode, message },
  });
  expectCleanErrorBody(res, tokens);
}

/** The shape half of `expectError`, for errors whose message is not fixed. */
export function expectCleanErrorBody(res: Response, tokens: string[] = []): void {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body as object).sort()).toEqual(['message', 'statusCode']);
  expect(res.text).not.toMatch(/stack|\.(?:js|ts):\d+/i);
  for (const token of tokens) {
    expect(res.text).not.toContain(token);
    const signature = token.split('.')[2];
    if (signature) expect(res.text).not.toContain(signature);
  }
}

/** The payload of a JWT, unverified (tests only). */
export function jwtPayload(token: string): Record<string, unknown> {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * The token with the first character of its signature changed: well-formed, wrongly signed (the
 * last character would not do: its low bits are padding, so some changes decode to the same bytes).
 */
export function tamper(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const first = signature.startsWith('A') ? 'B' : 'A';
  return `${header}.${payload}.${first}${signature.slice(1)}`;
}

/** Repeats `probe` every `intervalMs` until `done` holds for its result, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 5000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An ISO 8601 UTC timestamp as `Date.prototype.toISOString()` writes it. */
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
