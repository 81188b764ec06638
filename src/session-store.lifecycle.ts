import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SESSION_REDIS } from './session.constants.js';
import type { SessionRedisHandle } from './session.providers.js';
import { SessionRepository } from './repositories/session.repository.js';

/**
 * Says at start-up whether the store answers (the app starts either way: requests get 503 until
 * it does) and closes, on shutdown, only a Redis client the module created.
 */
/** How long start-up waits for the first Redis connection (and shutdown for the last to close). */
const READY_WAIT_MS = 2_000;

@Injectable()
export class SessionStoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionStore');

  constructor(
    private readonly repository: SessionRepository,
    @Inject(SESSION_REDIS) private readonly redis: SessionRedisHandle | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Without an offline queue, commands sent before the first connection fail: wait for it.
    if (this.redis) await waitUntilReady(this.redis.client, READY_WAIT_MS);
    try {
      await this.repository.ping();
    } catch {
      this.logger.warn(
        'Session store unreachable at start-up: session requests answer 503 until it is back',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis?.owned) return;
    const { client } = this.redis;
    if (client.status === 'end') return;
    // QUIT resolves on the server's OK; wait for the socket to close too, so nothing stays open.
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_WAIT_MS);
      client.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (client.status === 'ready') {
      await client.quit().catch(() => client.disconnect());
    } else {
      client.disconnect();
    }
    await ended;
  }
}

function waitUntilReady(client: SessionRedisHandle['client'], timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
  });
}
