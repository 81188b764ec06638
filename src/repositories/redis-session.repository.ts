import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { parseSessionId, encodeUserId } from '../session-id.js';
import { SessionStoreUnavailableException } from '../session.exceptions.js';
import {
  CREATE_SCRIPT,
  LIST_SCRIPT,
  MARK_FRESH_SCRIPT,
  REVOKE_ALL_SCRIPT,
  REVOKE_SCRIPT,
  ROTATE_SCRIPT,
  SESSION_FIELDS,
  UPDATE_CLAIMS_SCRIPT,
} from './redis-session.scripts.js';
import type {
  ClaimsTarget,
  ClaimsUpdate,
  ExpiredSession,
  LiveSessionRecord,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionRecord,
} from './session-record.interface.js';
import { SessionRepository } from './session.repository.js';

type Reply = string | null;
type ScriptArg = string | number;

/** The scripts as ioredis commands (EVALSHA with a transparent EVAL fallback after a restart). */
interface ScriptedClient {
  nestSessionCreate(...args: ScriptArg[]): Promise<[string[], string[]] | 'late'>;
  nestSessionRotate(...args: ScriptArg[]): Promise<Reply[]>;
  nestSessionRevoke(...args: ScriptArg[]): Promise<number>;
  nestSessionRevokeAll(...args: ScriptArg[]): Promise<[string[], string[]]>;
  nestSessionList(...args: ScriptArg[]): Promise<[(string | Reply[])[], string[]]>;
  nestSessionMarkFresh(...args: ScriptArg[]): Promise<number>;
  nestSessionUpdateClaims(...args: ScriptArg[]): Promise<number>;
}

const SCRIPTS = {
  nestSessionCreate: { numberOfKeys: 2, lua: CREATE_SCRIPT },
  nestSessionRotate: { numberOfKeys: 2, lua: ROTATE_SCRIPT },
  nestSessionRevoke: { numberOfKeys: 2, lua: REVOKE_SCRIPT },
  nestSessionRevokeAll: { numberOfKeys: 1, lua: REVOKE_ALL_SCRIPT },
  nestSessionList: { numberOfKeys: 1, lua: LIST_SCRIPT },
  nestSessionMarkFresh: { numberOfKeys: 1, lua: MARK_FRESH_SCRIPT },
  nestSessionUpdateClaims: { numberOfKeys: 1, lua: UPDATE_CLAIMS_SCRIPT },
} as const;

/** Logs store failures at most this often, so an outage does not flood the log. */
const LOG_INTERVAL_MS = 5_000;

/**
 * Sessions in Redis (or Redis Cluster), the default repository. Layout (prefix `sess:`):
 * a HASH `sess:{<user>}:<random>` per session and a ZSET `sess:{<user>}:index` of the user's
 * session ids scored by expiry, `<user>` being the base64url user id (a Cluster hash tag).
 */
export class RedisSessionRepository extends SessionRepository {
  private readonly logger = new Logger('SessionStore');
  private readonly redis: Redis | Cluster;
  private readonly scripts: ScriptedClient;
  private readonly keyPrefix: string;
  private readonly commandTimeoutMs: number;
  /** Redis's clock minus ours, in ms, measured at each (re)connection; `null` until then. */
  private clockOffsetMs: number | null = null;
  private lastLoggedAt = 0;

  /**
   * @param options.commandTimeoutMs the client's command timeout: writes that Redis reaches after
   *   it (the caller has given up) are dropped. Default: read from the client's options.
   */
  constructor(
    client: Redis | Cluster,
    options: { keyPrefix?: string; commandTimeoutMs?: number } = {},
  ) {
    super();
    this.redis = client;
    this.keyPrefix = options.keyPrefix ?? 'sess:';
    this.commandTimeoutMs = options.commandTimeoutMs ?? commandTimeoutOf(client);
    for (const [name, definition] of Object.entries(SCRIPTS)) {
      client.defineCommand(name, definition);
    }
    this.scripts = client as unknown as ScriptedClient;
    if (this.commandTimeoutMs > 0) {
      client.on('ready', () => void this.measureClockOffset());
      if (client.status === 'ready') void this.measureClockOffset();
    }
  }

  async create(record: NewSessionRecord, maxSessions: number): Promise<string[]> {
    const { userPart, randomPart } = this.parts(record.sessionId);
    const base = this.base(userPart);
    const evicted = await this.run(() =>
      this.scripts.nestSessionCreate(
        base + randomPart,
        base + 'index',
        randomPart,
        record.createdAt,
        maxSessions,
        base,
        record.userId,
        record.role,
        record.claims,
        record.currentJti,
        record.createdAt,
        record.lastSeenAt,
        record.idleExpiresAt,
        record.absoluteExpiresAt,
        ...splitUserAgent(record.userAgent, record.ip, this.deadline()),
        record.authenticatedAt,
      ),
    );
    if (!Array.isArray(evicted)) throw this.late();
    const [evictedParts, pruned] = evicted;
    this.reportPruned(userPart, pruned);
    return evictedParts.map((random) => `${userPart}.${random}`);
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const parts = parseSessionId(input.sessionId);
    if (!parts) return { status: 'missing' };
    const base = this.base(parts.userPart);
    const reply = await this.run(() =>
      this.scripts.nestSessionRotate(
        base + parts.randomPart,
        base + 'index',
        parts.randomPart,
        input.presentedJti,
        input.nextJti,
        input.now,
        input.graceMs,
        input.idleMs,
        ...splitUserAgent(input.userAgent, input.ip, this.deadline()),
      ),
    );
    const [status, ...fields] = reply;
    if (status === 'late') throw this.late();
    if (status === 'rotated' || status === 'grace') {
      const record = this.toRecord(input.sessionId, fields);
      if (record) return { status, record };
    }
    if (status === 'reused') return { status, userId: fields[0] ?? '' };
    if (status === 'expired') {
      const [userId, idle, absolute] = fields.map((field) => field ?? '');
      const reason = Number(idle) < Number(absolute) ? 'idle' : 'absolute';
      this.reportExpired([
        {
          sessionId: input.sessionId,
          userId,
          reason,
          expiredAt: Number(reason === 'idle' ? idle : absolute),
        },
      ]);
    }
    return { status: 'missing' };
  }

  async isLive(sessionId: string, now: number): Promise<boolean> {
    const parts = parseSessionId(sessionId);
    if (!parts) return false;
    const [idle, absolute] = await this.run(() =>
      this.redis.hmget(this.base(parts.userPart) + parts.randomPart, 'ie', 'ae'),
    );
    return isUnexpired(idle, absolute, now);
  }

  override async readLive(sessionId: string, now: number): Promise<LiveSessionRecord | null> {
    const parts = parseSessionId(sessionId);
    if (!parts) return null;
    const [idle, absolute, role, claims, at, created] = await this.run(() =>
      this.redis.hmget(
        this.base(parts.userPart) + parts.randomPart,
        'ie',
        'ae',
        'r',
        'c',
        'at',
        'ca',
      ),
    );
    if (!isUnexpired(idle, absolute, now)) return null;
    const authenticatedAt = Number(at ?? created);
    return {
      role: role ?? '',
      claims: claims ?? '',
      authenticatedAt: Number.isFinite(authenticatedAt) ? authenticatedAt : 0,
    };
  }

  async markFresh(sessionId: string, authenticatedAt: number, now: number): Promise<boolean> {
    const parts = parseSessionId(sessionId);
    if (!parts) return false;
    const updated = await this.run(() =>
      this.scripts.nestSessionMarkFresh(
        this.base(parts.userPart) + parts.randomPart,
        authenticatedAt,
        now,
      ),
    );
    return updated === 1;
  }

  async updateClaims(target: ClaimsTarget, update: ClaimsUpdate, now: number): Promise<number> {
    let userPart: string;
    let randomPart = '';
    if ('sessionId' in target) {
      const parts = parseSessionId(target.sessionId);
      if (!parts) return 0;
      ({ userPart, randomPart } = parts);
    } else {
      userPart = encodeUserId(target.userId);
    }
    const base = this.base(userPart);
    return this.run(() =>
      this.scripts.nestSessionUpdateClaims(
        base + 'index',
        base,
        randomPart,
        now,
        update.role === undefined ? '0' : '1',
        update.role ?? '',
        update.claims === undefined ? '0' : '1',
        update.claims ?? '',
      ),
    );
  }

  async get(sessionId: string, now: number): Promise<SessionRecord | null> {
    const parts = parseSessionId(sessionId);
    if (!parts) return null;
    const fields = await this.run(() =>
      this.redis.hmget(this.base(parts.userPart) + parts.randomPart, ...SESSION_FIELDS),
    );
    const record = this.toRecord(sessionId, fields);
    return record && isUnexpired(fields[8], fields[9], now) ? record : null;
  }

  async list(userId: string, now: number): Promise<SessionRecord[]> {
    const userPart = encodeUserId(userId);
    const base = this.base(userPart);
    const [reply, pruned] = await this.run(() =>
      this.scripts.nestSessionList(base + 'index', base, now),
    );
    this.reportPruned(userPart, pruned);
    const records: SessionRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const fields = reply[i + 1];
      if (typeof reply[i] !== 'string' || !Array.isArray(fields)) continue;
      const record = this.toRecord(`${userPart}.${reply[i]}`, fields);
      if (record && isUnexpired(fields[8], fields[9], now)) records.push(record);
    }
    return records;
  }

  async revoke(sessionId: string): Promise<boolean> {
    const parts = parseSessionId(sessionId);
    if (!parts) return false;
    const base = this.base(parts.userPart);
    const deleted = await this.run(() =>
      this.scripts.nestSessionRevoke(base + parts.randomPart, base + 'index', parts.randomPart),
    );
    return deleted === 1;
  }

  async revokeAll(userId: string, exceptSessionId?: string): Promise<string[]> {
    const userPart = encodeUserId(userId);
    const base = this.base(userPart);
    const except = exceptSessionId ? parseSessionId(exceptSessionId) : null;
    const keep = except && except.userPart === userPart ? except.randomPart : '';
    const [deleted, pruned] = await this.run(() =>
      this.scripts.nestSessionRevokeAll(base + 'index', base, keep, Date.now()),
    );
    this.reportPruned(userPart, pruned);
    return deleted.map((random) => `${userPart}.${random}`);
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping());
  }

  /** The latest time, in Redis's clock, at which a write sent now may still take effect. */
  private deadline(): number {
    if (this.clockOffsetMs === null) return 0;
    return Math.floor(Date.now() + this.clockOffsetMs + this.commandTimeoutMs);
  }

  private async measureClockOffset(): Promise<void> {
    try {
      const before = Date.now();
      const [seconds, micros] = await this.redis.time();
      const after = Date.now();
      this.clockOffsetMs = Number(seconds) * 1000 + Number(micros) / 1000 - (before + after) / 2;
    } catch {
      // Measured again at the next connection; until then writes carry no deadline.
    }
  }

  /**
   * Reports pruned index entries (`member, score, ...`): the score says which timeout ended the
   * session (see `redis-session.scripts.ts`).
   */
  private reportPruned(userPart: string, pruned: string[]): void {
    const expired: ExpiredSession[] = [];
    for (let i = 0; i + 1 < pruned.length; i += 2) {
      const sessionId = `${userPart}.${pruned[i]}`;
      const score = Number(pruned[i + 1]);
      const userId = parseSessionId(sessionId)?.userId;
      if (userId === undefined || !Number.isFinite(score)) continue;
      const expiredAt = Math.floor(score);
      expired.push({
        sessionId,
        userId,
        reason: score > expiredAt ? 'absolute' : 'idle',
        expiredAt,
      });
    }
    this.reportExpired(expired);
  }

  private late(): SessionStoreUnavailableException {
    return new SessionStoreUnavailableException();
  }

  private base(userPart: string): string {
    return `${this.keyPrefix}{${userPart}}:`;
  }

  private parts(sessionId: string): { userPart: string; randomPart: string } {
    const parts = parseSessionId(sessionId);
    if (!parts) throw new TypeError('Invalid session id');
    return parts;
  }

  /** Builds a record from HMGET-ordered fields, or `null` when any required field is missing. */
  private toRecord(sessionId: string, f: Reply[]): SessionRecord | null {
    const [u, r, c, j, pj, pt, ca, ls, ie, ae, ua, ip, ub, uc, ud, at] = f;
    const numbers = [pt, ca, ls, ie, ae].map((v) => Number(v));
    if (
      typeof u !== 'string' ||
      typeof j !== 'string' ||
      numbers.some((n) => !Number.isFinite(n))
    ) {
      return null;
    }
    return {
      sessionId,
      userId: u,
      role: r ?? '',
      claims: c ?? '',
      currentJti: j,
      previousJti: pj ?? '',
      previousRetiredAt: numbers[0],
      createdAt: numbers[1],
      lastSeenAt: numbers[2],
      idleExpiresAt: numbers[3],
      absoluteExpiresAt: numbers[4],
      authenticatedAt: Number.isFinite(Number(at ?? ca)) ? Number(at ?? ca) : numbers[1],
      userAgent: [ua, ub, uc, ud].map((piece) => piece ?? '').join(''),
      ip: ip ?? '',
    };
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

/** Bytes of one user agent piece: listpack keeps values up to 64 bytes (hash-max-listpack-value). */
const PIECE_BYTES = 64;

/**
 * The script arguments `ua, ip, deadline, ub, uc, ud`: the user agent cut into pieces of at most
 * 64 bytes (never inside a character); the last piece takes whatever remains past 192 bytes.
 */
function splitUserAgent(userAgent: string, ip: string, deadline: number): ScriptArg[] {
  const pieces = ['', '', '', ''];
  let index = 0;
  let bytes = 0;
  for (const char of userAgent) {
    const size = Buffer.byteLength(char);
    if (bytes + size > PIECE_BYTES && index < pieces.length - 1) {
      index += 1;
      bytes = 0;
    }
    pieces[index] += char;
    bytes += size;
  }
  return [pieces[0], ip, deadline, pieces[1], pieces[2], pieces[3]];
}

/** The command timeout an app's own client was created with (0: none). */
function commandTimeoutOf(client: Redis | Cluster): number {
  const options =
    'isCluster' in client && client.isCluster
      ? (client as Cluster).options.redisOptions
      : (client as Redis).options;
  return options?.commandTimeout ?? 0;
}

function isUnexpired(idle: Reply | undefined, absolute: Reply | undefined, now: number): boolean {
  const expires = Math.min(Number(idle), Number(absolute));
  return Number.isFinite(expires) && now < expires;
}
