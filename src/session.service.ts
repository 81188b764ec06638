import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ResolvedSessionConfig } from './config/resolved-session-config.js';
import type { SessionRevokedReason } from './events/session-event.interface.js';
import { SessionEventPublisher } from './events/session-event-publisher.service.js';
import { clientInfo, readCookie } from './http/request-tokens.js';
import { SessionCookies } from './http/session-cookies.js';
import type { CookieRequest, CookieResponse } from './http/http.types.js';
import type {
  ClaimValue,
  CreatedSession,
  IssuedTokens,
  LiveSessionView,
  SessionClaimsChange,
  SessionClaimsTarget,
  SessionContext,
  SessionInfo,
  SessionPrincipal,
  SessionUser,
} from './interfaces/session.interface.js';
import type { RefreshPrincipal } from './interfaces/token-payload.interface.js';
import type {
  ClaimsUpdate,
  ExpiredSession,
  LiveSessionRecord,
  SessionRecord,
} from './repositories/session-record.interface.js';
import { SessionRepository } from './repositories/session.repository.js';
import { RevocationCache } from './revocation/revocation-cache.js';
import { MAX_USER_AGENT_LENGTH, SESSION_CONFIG } from './session.constants.js';
import { SessionArgumentError, SessionUnauthorizedException } from './session.exceptions.js';
import { isValidUserId, newSessionId, parseSessionId, randomId } from './session-id.js';
import { TokenService } from './token.service.js';

const MAX_ROLE_LENGTH = 64;
const MAX_CLAIMS_JSON = 1024;

/** Options of `SessionService.revoke()`. */
export interface RevokeOptions {
  /** The `reason` of the `session.revoked` event. Default: `'revoked-by-id'`. */
  reason?: SessionRevokedReason;
}

/** Options of `SessionService.revokeAll()`. */
export interface RevokeAllOptions {
  /** A session to keep (e.g. the caller's own, after a password change). */
  except?: string;
  /** The `reason` of the `session.revoked` events. Default: `'logout-all'`. */
  reason?: SessionRevokedReason;
}

/**
 * The facade apps inject: log a user in, refresh, list and revoke sessions, change their claims
 * and mark them fresh. Every session is checked against the store on every request, so a
 * revocation or a change takes effect at the next request.
 */
@Injectable()
export class SessionService implements OnModuleDestroy {
  private readonly logger = new Logger('SessionService');
  private readonly stopObservingExpiry: () => void;

  constructor(
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
    private readonly repository: SessionRepository,
    private readonly tokens: TokenService,
    private readonly cookies: SessionCookies,
    private readonly revocations: RevocationCache,
    private readonly events: SessionEventPublisher,
  ) {
    this.stopObservingExpiry = repository.onExpired((expired) => this.reportExpired(expired));
  }

  onModuleDestroy(): void {
    this.stopObservingExpiry();
  }

  /**
   * Starts a new session for a user who has just proved who they are (your login route), and
   * issues its tokens; sets both cookies when `ctx.response` is given. Always a fresh session id:
   * nothing the client sent is adopted. When `ctx.request` carries a genuine session cookie, that
   * session ends (a re-login replaces it). Evicts the earliest sessions past `maxSessionsPerUser`.
   */
  async create(user: SessionUser, ctx: SessionContext = {}): Promise<CreatedSession> {
    const { role, claims } = this.checkUser(user);
    const now = Date.now();
    const sessionId = newSessionId(user.id);
    const jti = randomId();
    const record = {
      sessionId,
      userId: user.id,
      role,
      claims: Object.keys(claims).length ? JSON.stringify(claims) : '',
      currentJti: jti,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: now + this.config.idleTimeoutMs,
      absoluteExpiresAt: now + this.config.absoluteTimeoutMs,
      authenticatedAt: now,
      ...this.client(ctx),
    };
    const replaced = this.presentedSessionId(ctx.request);
    const evictedSessionIds = await this.repository.create(record, this.config.maxSessionsPerUser);
    // Re-authentication ends the session this browser held: it would be orphaned otherwise.
    const replacedEnded = replaced !== undefined && (await this.repository.revoke(replaced));
    await this.revocations.invalidate(
      replaced ? [...evictedSessionIds, replaced] : evictedSessionIds,
    );
    const issued = this.issue({ ...record, previousJti: '', previousRetiredAt: 0 }, now);
    if (ctx.response) this.cookies.set(ctx.response, issued, now);
    this.events.emit({
      name: 'session.created',
      userId: user.id,
      sessionId,
      at: new Date(now),
      ...clientFields(record),
    });
    for (const id of evictedSessionIds) this.emitRevoked(id, 'evicted', now);
    if (replacedEnded) this.emitRevoked(replaced, 'replaced', now);
    return { ...issued, evictedSessionIds };
  }

  /**
   * Rotates a refresh token: returns a new token pair and retires the presented refresh token.
   * A retired token presented again after the grace window revokes the whole session.
   * Throws `SessionUnauthorizedException` (401) for any invalid, expired, revoked or reused token.
   */
  async refresh(refreshToken: string, ctx: SessionContext = {}): Promise<IssuedTokens> {
    return this.rotateVerified(this.tokens.verifyRefresh(refreshToken), ctx);
  }

  /** Rotation for a refresh token already verified by `RefreshGuard`. */
  async rotateVerified(
    principal: RefreshPrincipal,
    ctx: SessionContext = {},
  ): Promise<IssuedTokens> {
    const now = Date.now();
    const client = this.client(ctx);
    const result = await this.repository.rotate({
      sessionId: principal.sessionId,
      presentedJti: principal.jti,
      nextJti: randomId(),
      now,
      graceMs: this.config.refresh.reuseGraceMs,
      idleMs: this.config.idleTimeoutMs,
      ...client,
    });
    if (result.status === 'reused') {
      await this.revocations.invalidate([principal.sessionId]);
      this.logger.warn(
        `Refresh token reuse detected for user ${JSON.stringify(result.userId)}: session revoked`,
      );
      this.events.emit({
        name: 'session.reuse-detected',
        userId: result.userId,
        sessionId: principal.sessionId,
        at: new Date(now),
        ...clientFields(client),
      });
      this.emitRevoked(principal.sessionId, 'reuse-detected', now, result.userId);
    }
    if (result.status !== 'rotated' && result.status !== 'grace') {
      if (ctx.response) this.cookies.clear(ctx.response);
      throw new SessionUnauthorizedException();
    }
    const issued = this.issue(result.record, now);
    if (ctx.response) this.cookies.set(ctx.response, issued, now);
    this.events.emit({
      name: 'session.refreshed',
      userId: result.record.userId,
      sessionId: result.record.sessionId,
      at: new Date(now),
      ...clientFields(client),
      rotated: result.status === 'rotated',
    });
    return issued;
  }

  /**
   * Ends one session. `options.reason` is the `reason` of its `session.revoked` event (default
   * `'revoked-by-id'`). @returns whether it existed.
   */
  async revoke(sessionId: string, options: RevokeOptions = {}): Promise<boolean> {
    if (!parseSessionId(sessionId)) return false;
    const existed = await this.repository.revoke(sessionId);
    if (existed) {
      await this.revocations.invalidate([sessionId]);
      this.emitRevoked(sessionId, options.reason ?? 'revoked-by-id', Date.now());
    }
    return existed;
  }

  /**
   * Ends every session of a user, except `options.except`. After a password change:
   * `revokeAll(user.id, { except: session.sessionId })` ends every other device and keeps the
   * caller's. `options.reason` is the `reason` of the `session.revoked` events (default
   * `'logout-all'`). @returns how many were ended.
   */
  async revokeAll(userId: string, options: RevokeAllOptions = {}): Promise<number> {
    if (!isValidUserId(userId)) return 0;
    const ended = await this.repository.revokeAll(userId, options.except);
    // The excepted session is dropped from caches too; it is simply read again.
    if (ended.length > 0) await this.revocations.invalidateUser(userId);
    const now = Date.now();
    for (const id of ended) this.emitRevoked(id, options.reason ?? 'logout-all', now, userId);
    return ended.length;
  }

  /**
   * Records a credential check now (e.g. after the user typed their password again), so that
   * routes marked `@RequireFreshSession()` let this session through again. Never creates or
   * extends a session. @returns `true` when the live session was updated, `false` when it is
   * absent, expired or revoked (or the id is not a session id).
   */
  async markFresh(sessionId: string): Promise<boolean> {
    if (!parseSessionId(sessionId)) return false;
    const now = Date.now();
    const updated = await this.repository.markFresh(sessionId, now, now);
    if (updated) await this.revocations.invalidate([sessionId]);
    return updated;
  }

  /**
   * Changes the role and/or custom claims stored with one session (`{ sessionId }`) or with every
   * live session of a user (`{ userId }`). Guards see them at the next request (`@CurrentSession()`,
   * `@Roles()`); the next refresh signs them into the access token. `change.claims` replaces the
   * claims entirely; `change.role: null` removes the role. Validated like `create()`: throws
   * `SessionArgumentError` for an unlisted claim, a bad value, or too much.
   * @returns how many live sessions were changed (0 for an unknown or malformed id).
   */
  async updateClaims(target: SessionClaimsTarget, change: SessionClaimsChange): Promise<number> {
    const update = this.checkChange(change);
    const bySession = this.checkTarget(target);
    if (bySession) {
      if (!parseSessionId(bySession.sessionId)) return 0;
    } else if (!isValidUserId((target as { userId: string }).userId)) {
      return 0;
    }
    const updated = await this.repository.updateClaims(target, update, Date.now());
    if (updated > 0) {
      if (bySession) await this.revocations.invalidate([bySession.sessionId]);
      else await this.revocations.invalidateUser((target as { userId: string }).userId);
    }
    return updated;
  }

  /** The user's live sessions, newest first. */
  async list(userId: string): Promise<SessionInfo[]> {
    if (!isValidUserId(userId)) return [];
    const records = await this.repository.list(userId, Date.now());
    return records
      .sort((a, b) => b.createdAt - a.createdAt || (a.sessionId < b.sessionId ? -1 : 1))
      .map(toInfo);
  }

  /** One live session, or `null`. */
  async get(sessionId: string): Promise<SessionInfo | null> {
    if (!parseSessionId(sessionId)) return null;
    const record = await this.repository.get(sessionId, Date.now());
    return record ? toInfo(record) : null;
  }

  /**
   * Whether a session is live: one store read, or none from the revocation cache when it is on.
   * `notAfter` (epoch ms, e.g. the access token's expiry) bounds how long the answer is cached.
   */
  async isLive(sessionId: string, notAfter = Date.now()): Promise<boolean> {
    return (await this.readLive(sessionId, notAfter)) !== null;
  }

  /**
   * The live view of a session (role and claims stored now, last credential check), or `null`
   * when it is not live: what the guards read on every request, in one store read (or none from
   * the revocation cache). `notAfter` bounds how long the answer is cached. Do not mutate it.
   */
  async readLive(sessionId: string, notAfter = Date.now()): Promise<LiveSessionView | null> {
    return this.revocations.lookup(sessionId, notAfter, async () => {
      const live = await this.repository.readLive(sessionId, Date.now());
      return live ? toView(live) : null;
    });
  }

  /**
   * The principal of a verified access token, with the role, claims and last credential check
   * stored with its session now (one store read, or none from the revocation cache); `null` when
   * the session is not live. What `AccessGuard` and `AccessStrategy` put on `request.user`.
   */
  async resolvePrincipal(principal: SessionPrincipal): Promise<SessionPrincipal | null> {
    const view = await this.readLive(principal.sessionId, principal.accessTokenExpiresAt.getTime());
    if (!view) return null;
    // Copies: the view may be cached and shared, and handlers get the principal to keep.
    return {
      ...principal,
      role: view.role,
      claims: { ...view.claims },
      authenticatedAt: new Date(view.authenticatedAt.getTime()),
    };
  }

  /** Clears both session cookies on a response. */
  clearCookies(response: CookieResponse): void {
    this.cookies.clear(response);
  }

  /** The session of a genuine session cookie on the request, if any (forged ones count for nothing). */
  private presentedSessionId(request: CookieRequest | undefined): string | undefined {
    const { cookies } = this.config;
    if (!request || !cookies.enabled) return undefined;
    const refresh = readCookie(request, cookies.refreshName);
    const access = readCookie(request, cookies.accessName);
    try {
      if (refresh) return this.tokens.verifyRefresh(refresh).sessionId;
      if (access) return this.tokens.verifyAccess(access).sessionId;
    } catch {
      // Not a genuine token of ours: there is no session to end.
    }
    return undefined;
  }

  private issue(record: SessionRecord, now: number): IssuedTokens {
    // A token never outlives its session.
    const notAfter = Math.min(record.absoluteExpiresAt, record.idleExpiresAt);
    const access = this.tokens.signAccess(
      {
        userId: record.userId,
        sessionId: record.sessionId,
        role: record.role || undefined,
        claims: parseClaims(record.claims),
      },
      now,
      notAfter,
    );
    const refresh = this.tokens.signRefresh(
      record.userId,
      record.sessionId,
      record.currentJti,
      now,
      notAfter,
    );
    return {
      sessionId: record.sessionId,
      userId: record.userId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.expiresAt,
    };
  }

  private emitRevoked(
    sessionId: string,
    reason: SessionRevokedReason,
    at: number,
    userId = parseSessionId(sessionId)?.userId,
  ): void {
    if (userId === undefined) return;
    this.events.emit({ name: 'session.revoked', userId, sessionId, at: new Date(at), reason });
  }

  private reportExpired(expired: ExpiredSession[]): void {
    for (const session of expired) {
      this.emitRevoked(session.sessionId, session.reason, session.expiredAt, session.userId);
    }
  }

  private client(ctx: SessionContext): { userAgent: string; ip: string } {
    const fromRequest = clientInfo(ctx.request);
    return {
      userAgent: (ctx.userAgent ?? fromRequest.userAgent).slice(0, MAX_USER_AGENT_LENGTH),
      ip: (ctx.ip ?? fromRequest.ip).slice(0, 64),
    };
  }

  private checkUser(user: SessionUser): { role: string; claims: Record<string, ClaimValue> } {
    if (!user || !isValidUserId(user.id)) {
      throw new SessionArgumentError('user.id must be a non-empty string of at most 128 bytes');
    }
    return {
      role: this.checkRole('user.role', user.role ?? ''),
      claims: this.checkClaims(user.claims ?? {}),
    };
  }

  /** The sessionId target, `null` for a userId target; throws for anything else. */
  private checkTarget(target: SessionClaimsTarget): { sessionId: string } | null {
    const keys = target && typeof target === 'object' ? Object.keys(target) : [];
    if (keys.length === 1 && keys[0] === 'sessionId') return target as { sessionId: string };
    if (keys.length === 1 && keys[0] === 'userId') return null;
    throw new SessionArgumentError('target must be { sessionId } or { userId }');
  }

  private checkChange(change: SessionClaimsChange): ClaimsUpdate {
    if (!change || typeof change !== 'object') {
      throw new SessionArgumentError('change must be an object with role and/or claims');
    }
    const update: ClaimsUpdate = {};
    if (change.role !== undefined) {
      update.role = change.role === null ? '' : this.checkRole('change.role', change.role);
    }
    if (change.claims !== undefined) {
      const claims = this.checkClaims(change.claims);
      update.claims = Object.keys(claims).length ? JSON.stringify(claims) : '';
    }
    if (update.role === undefined && update.claims === undefined) {
      throw new SessionArgumentError('change must set role and/or claims');
    }
    return update;
  }

  private checkRole(option: string, role: unknown): string {
    if (typeof role !== 'string' || role.length > MAX_ROLE_LENGTH) {
      throw new SessionArgumentError(
        `${option} must be a string of at most ${MAX_ROLE_LENGTH} characters`,
      );
    }
    return role;
  }

  private checkClaims(claims: unknown): Record<string, ClaimValue> {
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new SessionArgumentError('claims must be an object');
    }
    // A plain copy of the values checked: a getter or an inherited toJSON cannot store others.
    const checked: [string, ClaimValue][] = [];
    for (const [name, value] of Object.entries(claims)) {
      if (!this.config.customClaims.has(name)) {
        throw new SessionArgumentError(`claim "${name}" is not listed in the customClaims option`);
      }
      if (typeof value !== 'string' && typeof value !== 'boolean' && !Number.isFinite(value)) {
        throw new SessionArgumentError(`claim "${name}" must be a string, number or boolean`);
      }
      checked.push([name, value as ClaimValue]);
    }
    const copy = Object.fromEntries(checked) as Record<string, ClaimValue>;
    if (Buffer.byteLength(JSON.stringify(copy)) > MAX_CLAIMS_JSON) {
      throw new SessionArgumentError(`claims must serialize to at most ${MAX_CLAIMS_JSON} bytes`);
    }
    return copy;
  }
}

function parseClaims(json: string): Record<string, ClaimValue> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return {}; // not written by this module: no claims rather than a 500
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, ClaimValue>)
    : {};
}

function toView(live: LiveSessionRecord): LiveSessionView {
  return {
    role: live.role || undefined,
    claims: parseClaims(live.claims),
    authenticatedAt: new Date(live.authenticatedAt),
  };
}

/** `ip` and `userAgent` of an event, left out when unknown. */
function clientFields(client: { userAgent: string; ip: string }): {
  ip?: string;
  userAgent?: string;
} {
  return {
    ...(client.ip ? { ip: client.ip } : {}),
    ...(client.userAgent ? { userAgent: client.userAgent } : {}),
  };
}

function toInfo(record: SessionRecord): SessionInfo {
  return {
    id: record.sessionId,
    userId: record.userId,
    role: record.role || undefined,
    claims: parseClaims(record.claims),
    createdAt: new Date(record.createdAt),
    lastSeenAt: new Date(record.lastSeenAt),
    authenticatedAt: new Date(record.authenticatedAt),
    expiresAt: new Date(Math.min(record.idleExpiresAt, record.absoluteExpiresAt)),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    userAgent: record.userAgent || undefined,
    ip: record.ip || undefined,
  };
}
