import type { IncomingMessage } from 'node:http';
import { UseFilters, UseGuards, type INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import WebSocket from 'ws';
import {
  AccessGuard,
  CurrentSession,
  SafeErrorFilter,
  SessionService,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { WsSessionService } from 'nest-redis-sessions/ws';
import { listenTestApp, type ListeningApp, type LoggedIn } from '../support/listening-app.js';

/** The `ws` gateway of the README: `ws` does not keep the upgrade request, so it is handed over. */
@WebSocketGateway({ path: '/ws' })
@UseGuards(AccessGuard)
@UseFilters(SafeErrorFilter)
class PlainGateway implements OnGatewayConnection {
  constructor(private readonly wsSessions: WsSessionService) {}

  async handleConnection(client: WebSocket, request: IncomingMessage): Promise<void> {
    if (!(await this.wsSessions.authenticate(client, request))) client.close(1008, 'Unauthorized');
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentSession() session: SessionPrincipal) {
    return { event: 'whoami', data: { userId: session.userId, sessionId: session.sessionId } };
  }
}

let suite: ListeningApp;
let app: INestApplication;
let wsUrl: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  suite = await listenTestApp({
    name: 'e2e-websocket-ws',
    providers: [PlainGateway],
    configure: (nest) => nest.useWebSocketAdapter(new WsAdapter(nest)),
  });
  app = suite.app;
  wsUrl = `ws://127.0.0.1:${suite.port}/ws`;
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

afterAll(async () => {
  await suite?.close();
});

function login(user: string): Promise<LoggedIn> {
  return suite.login(user);
}

/** A `ws` client; resolves once open, with every message it receives collected. */
async function open(headers: Record<string, string | undefined>): Promise<{
  socket: WebSocket;
  messages: unknown[];
  closed: Promise<{ code: number; reason: string }>;
}> {
  const socket = new WebSocket(wsUrl, { headers });
  sockets.push(socket);
  const messages: unknown[] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, messages, closed };
}

/** How a handshake ends: the server's close (code, reason) after opening, or a refused upgrade. */
function outcome(
  headers: Record<string, string | string[]>,
): Promise<{ closed: { code: number; reason: string } } | { error: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, { headers });
    sockets.push(socket);
    socket.once('error', (error) => resolve({ error: error.message }));
    socket.once('close', (code, reason) =>
      resolve({ closed: { code, reason: reason.toString('utf8') } }),
    );
  });
}

/** Sends one message and resolves with the next message received. */
function ask(socket: WebSocket, event: string): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8'))));
    socket.send(JSON.stringify({ event, data: {} }));
  });
}

describe('WebSocket (ws): the upgrade request handed over in handleConnection', () => {
  it('serves a socket opened with a Bearer token or the access cookie', async () => {
    const alice = await login('alice');
    for (const headers of [
      { Authorization: `Bearer ${alice.accessToken}` },
      { Cookie: `access_token=${alice.accessToken}` },
    ]) {
      const { socket } = await open(headers);
      expect(await ask(socket, 'whoami')).toEqual({
        event: 'whoami',
        data: { userId: 'alice', sessionId: alice.sessionId },
      });
    }
  });

  it('closes a socket opened without a valid token, or with the cookie from a foreign Origin', async () => {
    const alice = await login('alice');
    for (const headers of [
      {},
      { Authorization: 'Bearer x.y.z' },
      { Cookie: `access_token=${alice.accessToken}`, Origin: 'https://evil.example' },
    ]) {
      const { closed, messages } = await open(headers);
      expect(await closed).toEqual({ code: 1008, reason: 'Unauthorized' });
      expect(messages).toEqual([]);
    }
  });

  it('refuses the next message once the session is revoked, and closes the socket', async () => {
    const carol = await login('carol');
    const { socket, closed } = await open({ Authorization: `Bearer ${carol.accessToken}` });
    expect(await ask(socket, 'whoami')).toMatchObject({ data: { userId: 'carol' } });

    expect(await app.get(SessionService).revoke(carol.sessionId)).toBe(true);

    expect(await ask(socket, 'whoami')).toEqual({
      event: 'exception',
      data: { status: 'error', statusCode: 401, message: 'Unauthorized' },
    });
    expect(await closed).toEqual({ code: 1008, reason: 'Unauthorized' });
  });
});

describe('WebSocket (ws): hostile handshakes', () => {
  it('closes a socket opened with two Authorization lines, even when one of them is valid', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    for (const pair of [
      [alice.accessToken, 'x.y.z'],
      ['x.y.z', alice.accessToken],
      [alice.accessToken, bob.accessToken],
    ]) {
      const lines = pair.map((token) => `Bearer ${token}`);
      expect(await outcome({ Authorization: lines })).toEqual({
        closed: { code: 1008, reason: 'Unauthorized' },
      });
    }
  });

  it('closes sockets opened with garbage cookies, refuses oversized headers, and keeps serving', async () => {
    const alice = await login('alice');
    for (const cookie of [
      'access_token',
      'access_token=; ;;=;a=b=c',
      `access_token=${alice.accessToken}; access_token=${alice.accessToken}`,
      `access_token=${'a'.repeat(8000)}.${'b'.repeat(8000)}.c`,
      `x=${'%'.repeat(4000)}; access_token=%E0%A4%A`,
    ]) {
      expect(await outcome({ Cookie: cookie })).toEqual({
        closed: { code: 1008, reason: 'Unauthorized' },
      });
    }
    expect(await outcome({ Authorization: `Bearer ${'a'.repeat(20_000)}` })).toEqual({
      error: 'Unexpected server response: 431',
    });
    const { socket } = await open({ Authorization: `Bearer ${alice.accessToken}` });
    expect(await ask(socket, 'whoami')).toMatchObject({ data: { userId: 'alice' } });
  });
});
