import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { SessionStoreUnavailableException } from '../../session.exceptions.js';
import { parseSessionId } from '../session-id.js';
import type {
  ClaimsTarget,
  ClaimsUpdate,
  LiveSession,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionChangeFeed,
  SessionRecord,
} from '../session-record.js';
import { SessionRepository } from '../session.repository.js';
import { sessionHashKey, sessionIdOf, sessionKeys, userKeys } from './redis-keys.js';
import { changeChannel, RedisSessionChangeFeed } from './redis-session.channel.js';
import { commandTimeoutOf, RedisClock } from './redis-clock.js';
import {
  encodeClaims,
  FIELDS,
  LIVE_FIELDS,
  storedAuthenticatedAt,
  toLiveSession,
  toRecord,
} from './redis-session.hash.js';
import { compactUserAgent } from './redis-user-agent.js';
import { scriptArgs, type ScriptArg } from './redis-session.lua.js';
import {
  expiredOfPruned,
  expiredOfRotation,
  items,
  liveRecord,
  liveRecords,
  strings,
} from './redis-session.replies.js';
import {
  MARK_FRESH_ARGS,
  REVOKE_ALL_ARGS,
  REVOKE_ARGS,
  UPDATE_CLAIMS_ARGS,
} from './redis-session-changes.scripts.js';
import {
  CREATE_ARGS,
  LIST_ARGS,
  ROTATE_ARGS,
  SCRIPTS,
  type ScriptName,
} from './redis-session.scripts.js';

/** The scripts as ioredis commands (EVALSHA with a transparent EVAL fallback after a restart). */
type ScriptedClient = Record<ScriptName, (...args: ScriptArg[]) => Promise<unknown>>;

/** Logs store failures at most this often, so an outage does not flood the log. */
const LOG_INTERVAL_MS = 5_000;

/**
 * Sessions in Redis (or Redis Cluster), the default repository. Layout (prefix `sess:`): a HASH
 * `sess:{<user>}:<random>` per session and a ZSET `sess:{<user>}:index` of the user's session ids
 * scored by expiry, `<user>` being the base64url user id (a Cluster hash tag); see `redis-keys.ts`,
 * `redis-session.hash.ts` and `redis-session.scripts.ts`. Every write that changes what `readLive`
 * answers is announced on `sess:revocations` by the script that makes it (`changeFeed()`); the
 * scripts find that channel, the user and the session in their keys, so the key prefix may not
 * contain braces.
 */
export class RedisSessionRepository extends SessionRepository {
  private readonly logger = new Logger('SessionStore');
  private readonly scripts: ScriptedClient;
  private readonly keyPrefix: string;
  private readonly clock: RedisClock;
  private readonly feed: RedisSessionChangeFeed;
  private lastLoggedAt = 0;

  /**
   * @param options.keyPrefix prefix of every key, and of the channel. Default: `'sess:'`.
   * @param options.commandTimeoutMs the client's command timeout: writes that Redis reaches after
   *   it (the caller has given up) are dropped. Default: read from the client's options.
   */
  constructor(
    private readonly redis: Redis | Cluster,
    options: { keyPrefix?: string; commandTimeoutMs?: number } = {},
  ) {
    super();
    this.keyPrefix = options.keyPrefix ?? 'sess:';
    // The scripts read the user's hash tag as the first {...} of a key.
    if (/[{}]/.test(this.keyPrefix)) throw new TypeError('The key prefix may not contain braces');
    this.feed = new RedisSessionChangeFeed(redis, changeChannel(this.keyPrefix));
    this.clock = new RedisClock(redis, options.commandTimeoutMs ?? commandTimeoutOf(redis));
    for (const [name, definition] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, definition);
    }
    this.scripts = redis as unknown as ScriptedClient;
  }

  async create(record: NewSessionRecord, maxSessions: number): Promise<string[]> {
    const keys = sessionKeys(this.keyPrefix, record.sessionId);
    if (!keys) throw new TypeError('Invalid session id');
    const args = scriptArgs(CREATE_ARGS, {
      now: record.createdAt,
      max: maxSessions,
      deadline: this.clock.deadline(),
      r: record.role ?? '',
      c: encodeClaims(record.claims),
      j: record.currentJti,
      ca: record.createdAt,
      ls: record.lastSeenAt,
      ie: record.idleExpiresAt,
      ae: record.absoluteExpiresAt,
      at: storedAuthenticatedAt(record.authenticatedAt, record.createdAt),
      ip: record.ip,
      ua: compactUserAgent(record.userAgent),
    });
    const reply = await this.run(() =>
      this.scripts.nestRedisSessionsCreate(keys.session, keys.index, ...args),
    );
    if (!Array.isArray(reply)) throw new SessionStoreUnavailableException(); // 'late'
    const [evicted, pruned] = items(reply);
    this.reportExpired(expiredOfPruned(keys.userPart, pruned));
    return strings(evicted).map((member) => sessionIdOf(keys.userPart, member));
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const keys = sessionKeys(this.keyPrefix, input.sessionId);
    if (!keys) return { status: 'missing' };
    const args = scriptArgs(ROTATE_ARGS, {
      presented: input.presentedJti,
      next: input.nextJti,
      now: input.now,
      grace: input.graceMs,
      idle: input.idleMs,
      deadline: this.clock.deadline(),
      ua: compactUserAgent(input.userAgent),
      ip: input.ip,
    });
    const reply = items(
      await this.run(() => this.scripts.nestRedisSessionsRotate(keys.session, keys.index, ...args)),
    );
    const status = reply[0];
    if (status === 'late') throw new SessionStoreUnavailableException();
    if (status === 'rotated' || status === 'grace') {
      const record = toRecord(input.sessionId, keys.userId, reply, 1);
      if (record) return { status, record };
    }
    if (status === 'reused') return { status, userId: keys.userId };
    if (status === 'expired') {
      this.reportExpired(expiredOfRotation(input.sessionId, keys.userId, reply.slice(1)));
    }
    return { status: 'missing' };
  }

  override async readLive(sessionId: string, now: number): Promise<LiveSession | null> {
    const key = sessionHashKey(this.keyPrefix, sessionId);
    if (key === null) return null;
    const reply = await this.run(() => this.redis.hmget(key, ...LIVE_FIELDS));
    return toLiveSession(reply, now);
  }

  async markFresh(sessionId: string, authenticatedAt: number, now: number): Promise<boolean> {
    const keys = sessionKeys(this.keyPrefix, sessionId);
    if (!keys) return false;
    const args = scriptArgs(MARK_FRESH_ARGS, { at: authenticatedAt, now });
    const updated = await this.run(() =>
      this.scripts.nestRedisSessionsMarkFresh(keys.session, ...args),
    );
    return updated === 1;
  }

  async updateClaims(target: ClaimsTarget, update: ClaimsUpdate, now: number): Promise<number> {
    const keys =
      'sessionId' in target
        ? sessionKeys(this.keyPrefix, target.sessionId)
        : { ...userKeys(this.keyPrefix, target.userId), member: '' };
    if (!keys) return 0;
    const args = scriptArgs(UPDATE_CLAIMS_ARGS, {
      member: keys.member,
      now,
      set_role: update.role === undefined ? '0' : '1',
      r: update.role ?? '',
      set_claims: update.claims === undefined ? '0' : '1',
      c: update.claims === undefined ? '' : encodeClaims(update.claims),
    });
    const updated = await this.run(() =>
      this.scripts.nestRedisSessionsUpdateClaims(keys.index, ...args),
    );
    return typeof updated === 'number' ? updated : 0;
  }

  async get(sessionId: string, now: number): Promise<SessionRecord | null> {
    const keys = sessionKeys(this.keyPrefix, sessionId);
    if (!keys) return null;
    const reply = await this.run(() => this.redis.hmget(keys.session, ...FIELDS));
    return liveRecord(sessionId, keys.userId, reply, now);
  }

  async list(userId: string, now: number): Promise<SessionRecord[]> {
    const keys = userKeys(this.keyPrefix, userId);
    const args = scriptArgs(LIST_ARGS, { now });
    const reply = await this.run(() => this.scripts.nestRedisSessionsList(keys.index, ...args));
    const [found, pruned] = items(reply);
    this.reportExpired(expiredOfPruned(keys.userPart, pruned));
    return liveRecords(keys.userPart, userId, items(found), now);
  }

  async revoke(sessionId: string): Promise<boolean> {
    const keys = sessionKeys(this.keyPrefix, sessionId);
    if (!keys) return false;
    const args = scriptArgs(REVOKE_ARGS, {});
    const deleted = await this.run(() =>
      this.scripts.nestRedisSessionsRevoke(keys.session, keys.index, ...args),
    );
    return deleted === 1;
  }

  async revokeAll(userId: string, exceptSessionId?: string): Promise<string[]> {
    const keys = userKeys(this.keyPrefix, userId);
    const except = exceptSessionId ? parseSessionId(exceptSessionId) : null;
    const keep = except && except.userPart === keys.userPart ? except.randomPart : '';
    const args = scriptArgs(REVOKE_ALL_ARGS, { keep, now: Date.now() });
    const reply = await this.run(() =>
      this.scripts.nestRedisSessionsRevokeAll(keys.index, ...args),
    );
    const [deleted, pruned] = items(reply);
    this.reportExpired(expiredOfPruned(keys.userPart, pruned));
    return strings(deleted).map((member) => sessionIdOf(keys.userPart, member));
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping());
  }

  /** Announcements made on `<keyPrefix>revocations`; subscribing opens a connection of its own. */
  override changeFeed(): SessionChangeFeed {
    return this.feed;
  }

  /** Runs a store call; any failure becomes a 503 so that requests fail closed. */
  private async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const now = Date.now();
      if (now - this.lastLoggedAt >= LOG_INTERVAL_MS) {
        this.lastLoggedAt = now;
        const reason = error instanceof Error ? error.message : 'unknown error';
        this.logger.warn(`Session store call failed: ${reason}`);
      }
      throw new SessionStoreUnavailableException({ cause: error });
    }
  }
}
