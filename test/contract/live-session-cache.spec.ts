import { LiveSessionCache } from '../../src/store/live-session-cache.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { RedisSessionRepository } from '../../src/store/redis/redis-session.repository.js';
import type { SessionChangeFeed } from '../../src/store/session-record.js';
import { createTestClient, deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { describeSessionRepository } from './session-repository.contract.js';

/** A memory store whose change feed is always connected and announces nothing. */
class SilentFeedMemoryRepository extends MemorySessionRepository {
  override changeFeed(): SessionChangeFeed {
    return {
      subscribe: async (listener) => {
        listener.connected(true);
        return async () => listener.connected(false);
      },
    };
  }
}

// The cache is a repository: it keeps the whole contract, serving readLive from memory. Over a
// feed that announces nothing, only its own invalidation on writes keeps it right.
describeSessionRepository(
  'LiveSessionCache over memory (a feed that never announces)',
  async () => {
    const cache = new LiveSessionCache(new SilentFeedMemoryRepository(), {
      cacheMs: 60_000,
      maxEntries: 1000,
    });
    await cache.start();
    return { repo: cache, cleanup: () => cache.stop() };
  },
);

describeSessionRepository('LiveSessionCache over Redis', async () => {
  const client = createTestClient();
  const keyPrefix = uniquePrefix('cache-contract');
  const cache = new LiveSessionCache(new RedisSessionRepository(client, { keyPrefix }), {
    cacheMs: 60_000,
    maxEntries: 1000,
  });
  await cache.start();
  if (!cache.connected) throw new Error('the cache did not subscribe');
  return {
    repo: cache,
    async cleanup() {
      await cache.stop();
      await deleteByPrefix(client, keyPrefix);
      await client.quit();
    },
  };
});
