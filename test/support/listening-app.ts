import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Module,
  type INestApplication,
  type LoggerService,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { SessionModule, type SessionModuleOptions } from 'nest-redis-sessions';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from './redis.js';
import { TestAppController, testOptions } from './session-app.js';

/** A Nest logger that keeps every line, and every argument of an error (its stack included). */
export class MemoryLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.lines.push(String(message), ...rest.map(String));
  }
  warn(message: unknown): void {
    this.lines.push(String(message));
  }
}

/** A session opened through the test controller's `POST /login`. */
export interface LoggedIn {
  accessToken: string;
  sessionId: string;
  /** A `Cookie` header carrying the access token. */
  cookie: string;
}

export interface ListeningAppOptions {
  /** Names the app's Redis key prefix. */
  name: string;
  /** Module options on top of `testOptions()` and the test Redis under the app's own prefix. */
  options?: Partial<SessionModuleOptions>;
  /** Modules beside `SessionModule` (a GraphQL driver, say). */
  imports?: NonNullable<ModuleMetadata['imports']>;
  providers?: Provider[];
  /** Runs before `listen` (to set a WebSocket adapter, say). */
  configure?: (app: INestApplication) => void;
}

/** An app listening on a loopback port, with `SessionModule` and the test controller. */
export interface ListeningApp {
  app: INestApplication;
  server: http.Server;
  port: number;
  logger: MemoryLogger;
  /** Logs `user` in (with `role` if given); the tokens handed out are audited by `close`. */
  login(user: string, role?: string): Promise<LoggedIn>;
  /** Closes the app, deletes its keys, then fails if a token it handed out reached the log. */
  close(): Promise<void>;
}

/** Starts a `ListeningApp` (call it in `beforeAll`, and its `close` in `afterAll`). */
export async function listenTestApp({
  name,
  options = {},
  imports = [],
  providers = [],
  configure,
}: ListeningAppOptions): Promise<ListeningApp> {
  const prefix = uniquePrefix(name);
  const redis = createTestClient();
  const logger = new MemoryLogger();
  const handedOut: string[] = [];
  @Module({
    imports: [
      SessionModule.forRoot(
        testOptions({ redis: { url: redisUrl(), keyPrefix: prefix }, ...options }),
      ),
      ...imports,
    ],
    controllers: [TestAppController],
    providers,
  })
  class ListeningAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ListeningAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger });
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as http.Server;
  return {
    app,
    server,
    port: (server.address() as AddressInfo).port,
    logger,
    async login(user, role) {
      const res = await request(server)
        .post('/login')
        .query(role ? { user, role } : { user });
      expect(res.status).toBe(201);
      const body = res.body as { accessToken: string; refreshToken: string; sessionId: string };
      handedOut.push(body.accessToken, body.refreshToken);
      return {
        accessToken: body.accessToken,
        sessionId: body.sessionId,
        cookie: `access_token=${body.accessToken}`,
      };
    },
    async close() {
      await app.close();
      await deleteByPrefix(redis, prefix);
      await redis.quit();
      // No token the suite handed out ever reaches the log.
      const log = logger.lines.join('\n');
      for (const token of handedOut) expect(log).not.toContain(token);
    },
  };
}
