import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { LiveSessionCache } from './live-session-cache.js';
import { SessionRepository } from './session.repository.js';
import { SESSION_REDIS, type SessionRedisHandle } from './store.providers.js';

/** How long start-up waits for the first Redis connection (and shutdown for the last to close). */
const READY_WAIT_MS = 2_000;

/**
 * Says at start-up whether the store answers (the app starts either way: requests get 503 until
 * it does), starts the live-session cache when there is one, and on shutdown stops it and closes
 * only a Redis client the module created.
 */
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
    if (this.repository instanceof LiveSessionCache) await this.repository.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.repository instanceof LiveSessionCache) await this.repository.stop();
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
