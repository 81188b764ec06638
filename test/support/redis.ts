import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use: `REDIS_URL`, set by the caller or by `global-setup.ts`. */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'REDIS_URL is not set: run the tests through jest (its global setup starts a redis-server) ' +
        'or set REDIS_URL to a Redis the tests may use.',
    );
  }
  return url;
}

/**
 * A key prefix unique to one test file and run, `test:<name>:<random>:`, so that files never
 * see each other's keys and a shared Redis is never flushed.
 */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(6).toString('hex')}:`;
}

/** A new ioredis client for `redisUrl()`; the caller quits it. */
export function createTestClient(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
}

/** Escapes the glob characters of a Redis `MATCH` pattern, so that the text matches itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Every key starting with `prefix`, found with SCAN (never KEYS). */
export async function scanByPrefix(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${escapeGlob(prefix)}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return [...new Set(found)]; // SCAN may return a key more than once
}

/** Deletes every key starting with `prefix` with SCAN + DEL (never KEYS, never FLUSHALL). */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<number> {
  const keys = await scanByPrefix(client, prefix);
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 500) {
    deleted += await client.del(...keys.slice(i, i + 500));
  }
  return deleted;
}
