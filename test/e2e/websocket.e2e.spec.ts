import { UseFilters, UseGuards, type INestApplication } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, type OnGatewayInit } from '@nestjs/websockets';
import type { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import {
  AccessGuard,
  CurrentSession,
  CurrentUser,
  MemorySessionRepository,
  Public,
  Roles,
  RolesGuard,
  SafeErrorFilter,
  SessionService,
  type CurrentUserInfo,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { WsSessionService, type SocketErrorBody } from 'nest-redis-sessions/ws';
import { listenTestApp, type ListeningApp, type LoggedIn } from '../support/listening-app.js';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import { ACCESS_SECRET } from '../support/session-app.js';

/** The gateway of the README: the handshake is checked by the middleware, every message by the guard. */
@WebSocketGateway()
@UseGuards(AccessGuard, RolesGuard)
@UseFilters(SafeErrorFilter)
class ChatGateway implements OnGatewayInit {
  constructor(private readonly wsSessions: WsSessionService) {}

  afterInit(server: Server): void {
    server.use(this.wsSessions.middleware());
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentSession() session: SessionPrincipal, @CurrentUser() user: CurrentUserInfo) {
    return { userId: user.id, sessionId: session.sessionId, role: session.role ?? null };
  }

  @SubscribeMessage('admin')
  @Roles('admin')
  admin(): string {
    return 'for admins';
  }

  /** A public handler of the guarded gateway: no principal, as on a `@Public()` route. */
  @SubscribeMessage('hello')
  @Public()
  hello(@CurrentSession() session: SessionPrincipal | undefined) {
    return { userId: session?.userId ?? null };
  }
}

/** A namespace without the handshake middleware: only the guard stands at each message. */
@WebSocketGateway({ namespace: 'guard-only' })
@UseGuards(AccessGuard)
@UseFilters(SafeErrorFilter)
class GuardOnlyGateway {
  static handled = 0;

  @SubscribeMessage('whoami')
  whoami(@CurrentSession() session: SessionPrincipal) {
    GuardOnlyGateway.handled += 1;
    return { userId: session.userId };
  }
}

const ORIGIN_FOREIGN = 'https://evil.example';
const ORIGIN_ALLOWED = 'https://app.example';

let suite: ListeningApp;
let app: INestApplication;
let baseUrl: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  suite = await listenTestApp({
    name: 'e2e-websocket',
    options: { allowedOrigins: [ORIGIN_ALLOWED] },
    providers: [ChatGateway, GuardOnlyGateway],
  });
  app = suite.app;
  baseUrl = `http://127.0.0.1:${suite.port}`;
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

afterAll(async () => {
  await suite?.close();
});

function login(user: string, role?: string): Promise<LoggedIn> {
  return suite.login(user, role);
}

type Headers = Record<string, string | string[] | undefined>;

/** A Socket.IO client (no reconnection) sending `headers` with its handshake. */
function client(
  headers: Headers,
  options: { namespace?: string; transport?: 'websocket' | 'polling'; base?: string } = {},
): Socket {
  const socket = io(`${options.base ?? baseUrl}/${options.namespace ?? ''}`, {
    transports: [options.transport ?? 'websocket'],
    extraHeaders: headers as Record<string, string>,
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

type ConnectOutcome =
  | { connected: true }
  | { connected: false; message: string; data?: { statusCode: number; message: string } };

/** Whether the handshake was accepted, or how it was refused (`connect_error`). */
function connection(socket: Socket): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true }));
    socket.once(
      'connect_error',
      (error: Error & { data?: { statusCode: number; message: string } }) =>
        resolve({ connected: false, message: error.message, data: error.data }),
    );
  });
}

/** Sends `event` and resolves with the first of: its answer, an `exception` event. */
function send(
  socket: Socket,
  event: string,
): Promise<{ answer: unknown } | { exception: SocketErrorBody }> {
  return new Promise((resolve) => {
    socket.once('exception', (exception: SocketErrorBody) => resolve({ exception }));
    socket.emit(event, {}, (answer: unknown) => resolve({ answer }));
  });
}

function disconnected(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    if (!socket.connected) resolve('already');
    socket.once('disconnect', (reason) => resolve(reason));
  });
}

const UNAUTHORIZED = { statusCode: 401, message: 'Unauthorized' };
const CROSS_SITE = { statusCode: 403, message: 'Cross-site request refused' };

describe('WebSocket (Socket.IO): the handshake', () => {
  it('accepts a Bearer token in the handshake, and answers with its session', async () => {
    const alice = await login('alice', 'user');
    const socket = client({ Authorization: `Bearer ${alice.accessToken}` });
    expect(await connection(socket)).toEqual({ connected: true });
    expect(await send(socket, 'whoami')).toEqual({
      answer: { userId: 'alice', sessionId: alice.sessionId, role: 'user' },
    });
  });

  it('accepts the access cookie, over WebSocket and over long-polling', async () => {
    const bob = await login('bob');
    for (const transport of ['websocket', 'polling'] as const) {
      const socket = client({ Cookie: bob.cookie }, { transport });
      expect(await connection(socket)).toEqual({ connected: true });
      expect(await send(socket, 'whoami')).toEqual({
        answer: { userId: 'bob', sessionId: bob.sessionId, role: null },
      });
    }
  });

  it('refuses a handshake without a token, or with an invalid one, before it connects', async () => {
    const alice = await login('alice');
    const [header, payload, signature = ''] = alice.accessToken.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const headers of [
      {},
      { Authorization: 'Bearer not-a-token' },
      { Authorization: `Bearer ${forged}` },
      { Authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
      { Authorization: `Bearer ${'a'.repeat(3000)}.${'b'.repeat(3000)}.c` },
      { Cookie: `access_token=${forged}` },
      { Cookie: `access_token=aaaa.bbbb.cccc` },
      // A bad Authorization header is the only source read: the good cookie is not a fallback.
      { Authorization: `Bearer ${forged}`, Cookie: alice.cookie },
      // A cookie name sent twice is ambiguous.
      { Cookie: `${alice.cookie}; access_token=x.y.z` },
    ]) {
      const outcome = await connection(client(headers));
      expect(outcome).toEqual({ connected: false, message: 'Unauthorized', data: UNAUTHORIZED });
    }
  });

  it('refuses a handshake with two Authorization lines, even when one of them is valid', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    for (const pair of [
      [alice.accessToken, 'x.y.z'],
      ['x.y.z', alice.accessToken],
      [alice.accessToken, bob.accessToken],
    ]) {
      const lines = pair.map((token) => `Bearer ${token}`);
      const outcome = await connection(client({ Authorization: lines }));
      expect(outcome).toEqual({ connected: false, message: 'Unauthorized', data: UNAUTHORIZED });
    }
  });

  it('refuses a handshake whose headers are past the server limit, and keeps serving', async () => {
    const outcome = await connection(client({ Authorization: `Bearer ${'a'.repeat(20_000)}` }));
    expect(outcome.connected).toBe(false);
    const alice = await login('alice');
    const socket = client({ Authorization: `Bearer ${alice.accessToken}` });
    expect(await connection(socket)).toEqual({ connected: true });
  });
});

describe('WebSocket: Cross-Site WebSocket Hijacking', () => {
  it('refuses a handshake with the cookie from a foreign Origin', async () => {
    const alice = await login('alice');
    for (const headers of [
      { Cookie: alice.cookie, Origin: ORIGIN_FOREIGN },
      { Cookie: alice.cookie, Origin: 'null' },
      { Cookie: alice.cookie, 'Sec-Fetch-Site': 'cross-site' },
      // Another port of the same host is another origin.
      { Cookie: alice.cookie, Origin: `http://127.0.0.1:${suite.port + 1}` },
      { Cookie: alice.cookie, Origin: 'not a url' },
    ]) {
      const outcome = await connection(client(headers));
      expect(outcome).toEqual({
        connected: false,
        message: 'Cross-site request refused',
        data: CROSS_SITE,
      });
    }
  });

  it('accepts the cookie from its own origin or an allowed one, and a Bearer token from anywhere', async () => {
    const alice = await login('alice');
    for (const headers of [
      { Cookie: alice.cookie, Origin: baseUrl },
      { Cookie: alice.cookie, Origin: ORIGIN_ALLOWED },
      // No Origin and no Sec-Fetch-Site: not a browser, so not a cross-site page.
      { Cookie: alice.cookie },
      { Authorization: `Bearer ${alice.accessToken}`, Origin: ORIGIN_FOREIGN },
    ]) {
      const socket = client(headers);
      expect(await connection(socket)).toEqual({ connected: true });
      expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'alice' } });
    }
  });

  it('refuses every message of a cross-site cookie socket that got past a gateway without the middleware', async () => {
    const alice = await login('alice');
    const socket = client(
      { Cookie: alice.cookie, Origin: ORIGIN_FOREIGN },
      {
        namespace: 'guard-only',
      },
    );
    expect(await connection(socket)).toEqual({ connected: true });
    const before = GuardOnlyGateway.handled;
    const closed = disconnected(socket);
    expect(await send(socket, 'whoami')).toEqual({
      exception: { status: 'error', ...CROSS_SITE },
    });
    expect(await closed).toBe('io server disconnect');
    expect(GuardOnlyGateway.handled).toBe(before);
  });
});

describe('WebSocket: every message is checked', () => {
  it('refuses the next message once the session is revoked, and disconnects the socket', async () => {
    const carol = await login('carol');
    const socket = client({ Authorization: `Bearer ${carol.accessToken}` });
    expect(await connection(socket)).toEqual({ connected: true });
    expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'carol' } });

    expect(await app.get(SessionService).revoke(carol.sessionId)).toBe(true);

    const closed = disconnected(socket);
    expect(await send(socket, 'whoami')).toEqual({
      exception: { status: 'error', ...UNAUTHORIZED },
    });
    expect(await closed).toBe('io server disconnect');
    // And it cannot come back with the same token.
    const again = await connection(client({ Authorization: `Bearer ${carol.accessToken}` }));
    expect(again).toEqual({ connected: false, message: 'Unauthorized', data: UNAUTHORIZED });
  });

  it('refuses messages of a socket with no valid token on a gateway without the middleware', async () => {
    for (const headers of [{}, { Authorization: 'Bearer x.y.z' }]) {
      const socket = client(headers, { namespace: 'guard-only' });
      expect(await connection(socket)).toEqual({ connected: true });
      const before = GuardOnlyGateway.handled;
      const closed = disconnected(socket);
      expect(await send(socket, 'whoami')).toEqual({
        exception: { status: 'error', ...UNAUTHORIZED },
      });
      expect(await closed).toBe('io server disconnect');
      expect(GuardOnlyGateway.handled).toBe(before);
    }
  });

  it('never gives a @Public() handler the principal an earlier message verified (revoked since)', async () => {
    const frank = await login('frank');
    const socket = client({ Authorization: `Bearer ${frank.accessToken}` });
    expect(await connection(socket)).toEqual({ connected: true });
    expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'frank' } });
    expect(await send(socket, 'hello')).toEqual({ answer: { userId: null } });

    expect(await app.get(SessionService).revoke(frank.sessionId)).toBe(true);

    expect(await send(socket, 'hello')).toEqual({ answer: { userId: null } });
    expect(await send(socket, 'whoami')).toEqual({
      exception: { status: 'error', ...UNAUTHORIZED },
    });
  });

  it('gives each socket its own principal, with messages of two users interleaved', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const a = client({ Authorization: `Bearer ${alice.accessToken}` });
    const b = client({ Authorization: `Bearer ${bob.accessToken}` });
    expect(await connection(a)).toEqual({ connected: true });
    expect(await connection(b)).toEqual({ connected: true });
    const answers = await Promise.all([a, b, a, b, b, a].map((socket) => send(socket, 'whoami')));
    expect(
      answers.map((answer) => (answer as { answer: { sessionId: string } }).answer.sessionId),
    ).toEqual([alice, bob, alice, bob, bob, alice].map((session) => session.sessionId));
  });

  it('refuses a @Roles("admin") message to another role with 403, and keeps the socket', async () => {
    const dave = await login('dave', 'user');
    const socket = client({ Authorization: `Bearer ${dave.accessToken}` });
    expect(await connection(socket)).toEqual({ connected: true });
    expect(await send(socket, 'admin')).toEqual({
      exception: { status: 'error', statusCode: 403, message: 'Forbidden' },
    });
    expect(socket.connected).toBe(true);
    expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'dave' } });

    const erin = await login('erin', 'admin');
    const admin = client({ Authorization: `Bearer ${erin.accessToken}` });
    expect(await connection(admin)).toEqual({ connected: true });
    expect(await send(admin, 'admin')).toEqual({ answer: 'for admins' });
  });
});

describe('WebSocket: a long-lived socket, with the revocation cache on', () => {
  let cached: ListeningApp;
  let base: string;

  beforeAll(async () => {
    cached = await listenTestApp({
      name: 'e2e-websocket-cached',
      options: {
        accessToken: { secret: ACCESS_SECRET, ttl: '2s' },
        revocation: { cacheMs: '1m' },
      },
      providers: [ChatGateway],
    });
    base = `http://127.0.0.1:${cached.port}`;
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await cached?.close();
  });

  it("refuses the socket's next message once its access token has expired, and disconnects it", async () => {
    const alice = await cached.login('alice');
    const socket = client({ Authorization: `Bearer ${alice.accessToken}` }, { base });
    expect(await connection(socket)).toEqual({ connected: true });
    expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'alice' } });

    const { exp } = JSON.parse(
      Buffer.from(alice.accessToken.split('.')[1], 'base64url').toString('utf8'),
    ) as { exp: number };
    // `exp` is in whole seconds: the token is expired once that second has passed.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 1100),
    );

    const closed = disconnected(socket);
    expect(await send(socket, 'whoami')).toEqual({
      exception: { status: 'error', ...UNAUTHORIZED },
    });
    expect(await closed).toBe('io server disconnect');
  });

  it('refuses the next message of a revoked session although its live view was cached', async () => {
    const carol = await cached.login('carol');
    const socket = client({ Authorization: `Bearer ${carol.accessToken}` }, { base });
    expect(await connection(socket)).toEqual({ connected: true });
    // Two messages: the second is answered from the cache.
    expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'carol' } });
    expect(await send(socket, 'whoami')).toMatchObject({ answer: { userId: 'carol' } });

    expect(await cached.app.get(SessionService).revoke(carol.sessionId)).toBe(true);

    const closed = disconnected(socket);
    expect(await send(socket, 'whoami')).toEqual({
      exception: { status: 'error', ...UNAUTHORIZED },
    });
    expect(await closed).toBe('io server disconnect');
  });
});

describe('WebSocket: the session store goes down', () => {
  let redisServer: RedisServerHandle;
  let down: ListeningApp;
  let base: string;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    down = await listenTestApp({
      name: 'e2e-websocket-down',
      options: { redis: { url: redisServer.url } },
      providers: [ChatGateway],
    });
    base = `http://127.0.0.1:${down.port}`;
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await down?.close();
    await redisServer?.stop();
  });

  it('answers 503 to a message (keeping the socket) and to a handshake, and refuses the lost session after', async () => {
    const alice = await down.login('alice');
    const socket = client({ Authorization: `Bearer ${alice.accessToken}` }, { base });
    expect(await connection(socket)).toEqual({ connected: true });

    await redisServer.kill();

    const unavailable = { statusCode: 503, message: 'Session store unavailable' };
    expect(await send(socket, 'whoami')).toEqual({
      exception: { status: 'error', ...unavailable },
    });
    expect(socket.connected).toBe(true);
    const refused = await connection(
      client({ Authorization: `Bearer ${alice.accessToken}` }, { base }),
    );
    expect(refused).toEqual({ connected: false, message: unavailable.message, data: unavailable });
    const log = down.logger.lines.join('\n');
    expect(log).not.toContain(alice.accessToken);

    // A restarted Redis is empty: the session is gone, so the socket is refused (not served).
    await redisServer.restart();
    let answer = await send(socket, 'whoami');
    for (let i = 0; i < 50 && JSON.stringify(answer).includes('503'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await send(socket, 'whoami');
    }
    expect(answer).toEqual({ exception: { status: 'error', ...UNAUTHORIZED } });
  });
});

describe('a handshake check that fails unexpectedly (a fault in the store)', () => {
  /** A store whose read fails with a programming error, not a store outage. */
  class FaultyRepository extends MemorySessionRepository {
    override readLive(): Promise<never> {
      return Promise.reject(new TypeError('fault in readLive'));
    }
  }

  let faulty: ListeningApp;
  let base: string;

  beforeAll(async () => {
    faulty = await listenTestApp({
      name: 'e2e-websocket-faulty',
      options: { redis: undefined, repository: new FaultyRepository() },
      providers: [ChatGateway],
    });
    base = `http://127.0.0.1:${faulty.port}`;
  });

  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await faulty?.close();
  });

  it('refuses the connection with a 500 and logs the fault, without the token', async () => {
    const alice = await faulty.login('alice');
    const socket = client({ Authorization: `Bearer ${alice.accessToken}` }, { base });
    expect(await connection(socket)).toEqual({
      connected: false,
      message: 'Internal Server Error',
      data: { statusCode: 500, message: 'Internal Server Error' },
    });
    const log = faulty.logger.lines.join('\n');
    expect(log).toContain('Unexpected error while checking a WebSocket handshake');
    expect(log).toContain('fault in readLive');
    expect(log).not.toContain(alice.accessToken);
  });
});
