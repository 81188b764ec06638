import type { IncomingMessage } from 'node:http';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, UseFilters, UseGuards, type INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { Redis } from 'ioredis';
import request from 'supertest';
import WebSocket from 'ws';
import {
  AccessGuard,
  CurrentSession,
  SafeErrorFilter,
  SessionModule,
  SessionService,
  WsSessionService,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { TestAppController, testOptions } from '../support/session-app.js';

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

const prefix = uniquePrefix('e2e-websocket-ws');
let app: INestApplication;
let server: http.Server;
let wsUrl: string;
let redis: Redis;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  redis = createTestClient();
  @Module({
    imports: [
      SessionModule.forRoot(testOptions({ redis: { url: redisUrl(), keyPrefix: prefix } })),
    ],
    controllers: [TestAppController],
    providers: [PlainGateway],
  })
  class PlainWsAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [PlainWsAppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  server = app.getHttpServer() as http.Server;
  wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

afterAll(async () => {
  await app?.close();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

async function login(user: string): Promise<{ accessToken: string; sessionId: string }> {
  const res = await request(server).post('/login').query({ user });
  expect(res.status).toBe(201);
  return res.body as { accessToken: string; sessionId: string };
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
