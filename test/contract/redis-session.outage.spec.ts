import { Redis } from 'ioredis';
import { RedisSessionRepository } from '../../src/store/redis/redis-session.repository.js';
import { randomId } from '../../src/store/session-id.js';
import { SessionStoreUnavailableException } from '../../src/session.exceptions.js';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import { uniquePrefix } from '../support/redis.js';
import { sessionRecord } from './session-repository.contract.js';

const HOUR = 3_600_000;

describe('RedisSessionRepository when Redis goes away', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let repo: RedisSessionRepository;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    client = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => 20,
    });
    client.on('error', () => {}); // connection errors are expected here
    await client.connect();
    repo = new RedisSessionRepository(client, { keyPrefix: uniquePrefix('redis-repo-outage') });
  });

  afterEach(() => {
    client.disconnect();
  });

  it('fails closed with SessionStoreUnavailableException while Redis is down', async () => {
    const record = sessionRecord();
    await repo.create(record, 0);

    await server.kill();

    const now = record.createdAt + 1000;
    await expect(repo.ping()).rejects.toBeInstanceOf(SessionStoreUnavailableException);
    await expect(repo.readLive(record.sessionId, now)).rejects.toBeInstanceOf(
      SessionStoreUnavailableException,
    );
    await expect(repo.get(record.sessionId, now)).rejects.toBeInstanceOf(
      SessionStoreUnavailableException,
    );
    await expect(
      repo.rotate({
        sessionId: record.sessionId,
        presentedJti: record.currentJti,
        nextJti: randomId(),
        now,
        graceMs: 0,
        idleMs: HOUR,
        userAgent: 'ua',
        ip: '127.0.0.1',
      }),
    ).rejects.toBeInstanceOf(SessionStoreUnavailableException);
    await expect(repo.create(sessionRecord(), 0)).rejects.toBeInstanceOf(
      SessionStoreUnavailableException,
    );
    await expect(repo.revokeAll(record.userId)).rejects.toBeInstanceOf(
      SessionStoreUnavailableException,
    );
    await server.restart();
  });

  it('works again once Redis is back, reloading its scripts into the new server', async () => {
    await server.restart(); // an empty server: no data, no cached scripts
    const deadline = Date.now() + 5000;
    while (client.status !== 'ready' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // polling interval, not a wait
    }
    expect(client.status).toBe('ready');

    const record = sessionRecord();
    await expect(repo.create(record, 1)).resolves.toEqual([]);
    const result = await repo.rotate({
      sessionId: record.sessionId,
      presentedJti: record.currentJti,
      nextJti: randomId(),
      now: record.createdAt + 1000,
      graceMs: 0,
      idleMs: HOUR,
      userAgent: 'ua',
      ip: '127.0.0.1',
    });
    expect(result.status).toBe('rotated');
    await expect(repo.list(record.userId, record.createdAt + 1000)).resolves.toHaveLength(1);
  });
});
