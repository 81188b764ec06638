import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { runInThisContext } from 'node:vm';
import request, { type Response } from 'supertest';
import { encodeUserId, parseSessionId } from '../../src/store/session-id.js';
import { cookieHeader, jwtPayload, setCookie, sleep } from './e2e.js';

/**
 * Makes the app listen on a free loopback port and returns its base URL, so that tests talk to
 * it over real TCP connections (supertest accepts the URL wherever it accepts a server).
 */
export async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as { address(): AddressInfo | string | null }).address();
  if (address === null || typeof address === 'string') {
    throw new Error('the app is not listening on a TCP port');
  }
  return `http://127.0.0.1:${address.port}`;
}

/** `POST /auth/refresh` with a refresh cookie. */
export function refresh(url: string, refreshToken: string): request.Test {
  return request(url)
    .post('/auth/refresh')
    .set('Cookie', cookieHeader({ refresh_token: refreshToken }));
}

/** `GET /me` with a Bearer access token. */
export function me(url: string, accessToken: string): request.Test {
  return request(url).get('/me').set('Authorization', `Bearer ${accessToken}`);
}

/** The refresh token a response set in its cookie. */
export function refreshCookie(res: Response): string {
  return setCookie(res, 'refresh_token').value;
}

/** The `jti` claim of a JWT (unverified). */
export function jtiOf(token: string): string {
  const { jti } = jwtPayload(token);
  if (typeof jti !== 'string') throw new Error('token has no jti');
  return jti;
}

/** The Redis key prefix of all keys of one user: `<prefix>{<base64url user id>}:`. */
export function userKeyPrefix(prefix: string, userId: string): string {
  return `${prefix}{${encodeUserId(userId)}}:`;
}

/** The user's session index (ZSET). */
export function indexKey(prefix: string, userId: string): string {
  return `${userKeyPrefix(prefix, userId)}index`;
}

/** The session HASH of a session id, and its member name in the user's index. */
export function sessionKey(prefix: string, sessionId: string): { key: string; member: string } {
  const parts = parseSessionId(sessionId);
  if (!parts) throw new Error('not a session id of this module');
  return { key: `${prefix}{${parts.userPart}}:${parts.randomPart}`, member: parts.randomPart };
}

/** A request's answer and how long it took, in milliseconds. */
export interface Timed {
  res: Response;
  ms: number;
}

export async function timed(send: () => request.Test): Promise<Timed> {
  const started = Date.now();
  const res = await send();
  return { res, ms: Date.now() - started };
}

/**
 * The real `process` of the Node.js main context. Jest hands test files a copy whose event
 * listeners never fire for process-wide events such as `unhandledRejection`.
 */
function realProcess(): NodeJS.Process {
  return runInThisContext('process') as NodeJS.Process;
}

/** Records every `unhandledRejection` and `uncaughtException` until `dispose()`. */
export function watchProcessFaults(): { events: string[]; dispose(): void } {
  const proc = realProcess();
  const events: string[] = [];
  const onRejection = (reason: unknown): void => {
    events.push(`unhandledRejection: ${describeValue(reason)}`);
  };
  const onException = (error: unknown): void => {
    events.push(`uncaughtException: ${describeValue(error)}`);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtExceptionMonitor', onException);
  return {
    events,
    dispose() {
      proc.off('unhandledRejection', onRejection);
      proc.off('uncaughtExceptionMonitor', onException);
    },
  };
}

function describeValue(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}

/** A client of its own for the test's fault injection (never the app's client). */
function controlClient(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: false });
}

/** A stall of the Redis server, in effect once the promise resolves; `over` says when it ends. */
export interface Stall {
  over: Promise<void>;
}

/**
 * Blocks the Redis server's only thread for `ms` with a busy Lua script: what `DEBUG SLEEP`
 * does, on servers where `DEBUG` is disabled (the default since Redis 7, and so on the test
 * launcher's servers). It stays under the 5 s `busy-reply-threshold`, so other clients'
 * commands wait instead of getting `BUSY`.
 */
export async function blockServer(url: string, ms: number): Promise<Stall> {
  const client = controlClient(url);
  await client.ping();
  const over = client
    .eval(
      `local t = redis.call('TIME')
       local deadline = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1]) * 1000
       repeat t = redis.call('TIME') until tonumber(t[1]) * 1000000 + tonumber(t[2]) >= deadline
       return 1`,
      0,
      ms,
    )
    .then(() => undefined)
    .finally(() => client.disconnect());
  // The script is on its way: a PING from another connection waits until it has started.
  await sleep(50);
  return { over };
}

/**
 * `CLIENT PAUSE <ms> ALL`: the server keeps its connections but runs no client's command until
 * the pause ends.
 */
export async function pauseClients(url: string, ms: number): Promise<Stall> {
  const client = controlClient(url);
  try {
    await client.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  } finally {
    client.disconnect();
  }
  return { over: sleep(ms) };
}

/**
 * Freezes the redis-server process with SIGSTOP for `ms`, then SIGCONT: connections stay open
 * and the kernel still takes bytes, but nothing answers (a stalled host or VM).
 */
export async function freezeServer(url: string, ms: number): Promise<Stall> {
  const pid = await serverPid(url);
  process.kill(pid, 'SIGSTOP');
  const over = sleep(ms).finally(() => {
    // A stopped server would never act on the launcher's SIGTERM and hang the clean-up.
    process.kill(pid, 'SIGCONT');
  });
  return { over };
}

async function serverPid(url: string): Promise<number> {
  const client = controlClient(url);
  try {
    const info = await client.info('server');
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error('INFO server gave no process_id');
    return pid;
  } finally {
    client.disconnect();
  }
}
