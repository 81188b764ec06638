import { Inject, Injectable, Logger } from '@nestjs/common';
import { SESSION_CONFIG } from './config/config.tokens.js';
import type { ResolvedSessionConfig } from './config/resolved-config.js';
import { clientFields, SessionEventPublisher } from './events/session-event.publisher.js';
import { clientInfo, type ClientInfo } from './http/client-info.js';
import { SessionCookies } from './http/session-cookies.js';
import { SessionVerifier } from './guards/session-verifier.js';
import { SessionArgumentError, SessionUnauthorizedException } from './session.exceptions.js';
import type {
  CreatedSession,
  IssuedTokens,
  RevokeAllOptions,
  RevokeOptions,
  SessionClaimsChange,
  SessionClaimsTarget,
  SessionContext,
  SessionInfo,
  SessionUser,
} from './session.types.js';
import { isValidUserId, newSessionId, parseSessionId, randomId } from './store/session-id.js';
import type { SessionRecord } from './store/session-record.js';
import { SessionRepository } from './store/session.repository.js';
import { checkClaims, checkClaimsChange, checkRole } from './tokens/claims.js';
import { TokenService } from './tokens/token.service.js';
import type { RefreshPrincipal } from './tokens/token.types.js';

/**
 * The facade apps inject: log a user in, refresh, list and revoke sessions, change their claims
 * and mark them fresh. Every session is checked against the store on every request, so a
 * revocation or a change takes effect at the next request.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('SessionService');

  /** @internal */
  constructor(
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
    private readonly store: SessionRepository,
    private readonly tokens: TokenService,
    private readonly cookies: SessionCookies,
    private readonly verifier: SessionVerifier,
    private readonly events: SessionEventPublisher,
  ) {}

  /**
   * Starts a new session for a user who has just proved who they are (your login route), and
   * issues its tokens; sets both cookies when `ctx.response` is given. Always a fresh session id:
   * nothing the client sent is adopted. When `ctx.request` carries a genuine session cookie, that
   * session ends (a re-login replaces it). Evicts the earliest sessions past `maxSessionsPerUser`.
   */
  async create(user: SessionUser, ctx: SessionContext = {}): Promise<CreatedSession> {
    if (!user || !isValidUserId(user.id)) {
      throw new SessionArgumentError('user.id must be a non-empty string of at most 128 bytes');
    }
    const role = checkRole('user.role', user.role ?? '');
    const claims = checkClaims(user.claims ?? {}, this.config.customClaims);
    const now = Date.now();
    const client = clientInfo(ctx.request, ctx);
    const record: SessionRecord = {
      sessionId: newSessionId(user.id),
      userId: user.id,
      ...(role ? { role } : {}),
      claims,
      currentJti: randomId(),
      previousJti: '',
      previousRetiredAt: 0,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: now + this.config.idleTimeoutMs,
      absoluteExpiresAt: now + this.config.absoluteTimeoutMs,
      authenticatedAt: now,
      ...client,
    };
    const replaced = this.verifier.presentedSessionId(ctx.request);
    const evictedSessionIds = await this.store.create(record, this.config.maxSessionsPerUser);
    // Re-authentication ends the session this browser held: it would be orphaned otherwise.
    const replacedEnded = replaced !== undefined && (await this.store.revoke(replaced));
    const issued = this.tokens.issue(record, now);
    if (ctx.response) this.cookies.set(ctx.response, issued, now);
    const { sessionId, userId } = record;
    this.events.emit({
      name: 'session.created',
      userId,
      sessionId,
      at: new Date(now),
      ...clientFields(client),
    });
    this.events.revoked(evictedSessionIds, 'evicted', now);
    if (replacedEnded) this.events.revoked([replaced], 'replaced', now);
    return { ...issued, evictedSessionIds };
  }

  /**
   * Rotates a refresh token: returns a new token pair and retires the presented one. A retired
   * token presented again after the grace window revokes the whole session. `refreshToken` is the
   * token, or the `RefreshPrincipal` that `RefreshGuard` left on `request.user` (already
   * verified). Throws `SessionUnauthorizedException` (401) for any invalid, expired, revoked or
   * reused token, and clears the cookies on `ctx.response` then.
   */
  async refresh(
    refreshToken: string | RefreshPrincipal,
    ctx: SessionContext = {},
  ): Promise<IssuedTokens> {
    const principal =
      typeof refreshToken === 'string' ? this.tokens.verifyRefresh(refreshToken) : refreshToken;
    const now = Date.now();
    const client = clientInfo(ctx.request, ctx);
    const result = await this.store.rotate({
      sessionId: principal.sessionId,
      presentedJti: principal.jti,
      nextJti: randomId(),
      now,
      graceMs: this.config.refresh.reuseGraceMs,
      idleMs: this.config.idleTimeoutMs,
      ...client,
    });
    if (result.status === 'reused')
      this.reportReuse(principal.sessionId, result.userId, client, now);
    if (result.status !== 'rotated' && result.status !== 'grace') {
      if (ctx.response) this.cookies.clear(ctx.response);
      throw new SessionUnauthorizedException();
    }
    const issued = this.tokens.issue(result.record, now);
    if (ctx.response) this.cookies.set(ctx.response, issued, now);
    const { userId, sessionId } = result.record;
    const rotated = result.status === 'rotated';
    this.events.emit({
      name: 'session.refreshed',
      userId,
      sessionId,
      at: new Date(now),
      ...clientFields(client),
      rotated,
    });
    return issued;
  }

  /**
   * Ends one session. `options.reason` is the `reason` of its `session.revoked` event (default
   * `'revoked-by-id'`). @returns whether it existed.
   */
  async revoke(sessionId: string, options: RevokeOptions = {}): Promise<boolean> {
    if (!parseSessionId(sessionId)) return false;
    const existed = await this.store.revoke(sessionId);
    if (existed) this.events.revoked([sessionId], options.reason ?? 'revoked-by-id', Date.now());
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
    const ended = await this.store.revokeAll(userId, options.except);
    this.events.revoked(ended, options.reason ?? 'logout-all', Date.now(), userId);
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
    return this.store.markFresh(sessionId, now, now);
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
    const update = checkClaimsChange(change, this.config.customClaims);
    const keys = target && typeof target === 'object' ? Object.keys(target) : [];
    if (keys.length !== 1 || (keys[0] !== 'sessionId' && keys[0] !== 'userId')) {
      throw new SessionArgumentError('target must be { sessionId } or { userId }');
    }
    const valid =
      'sessionId' in target
        ? parseSessionId(target.sessionId) !== null
        : isValidUserId(target.userId);
    return valid ? this.store.updateClaims(target, update, Date.now()) : 0;
  }

  /** The user's live sessions, newest first. */
  async list(userId: string): Promise<SessionInfo[]> {
    if (!isValidUserId(userId)) return [];
    const records = await this.store.list(userId, Date.now());
    return records
      .sort((a, b) => b.createdAt - a.createdAt || (a.sessionId < b.sessionId ? -1 : 1))
      .map(toInfo);
  }

  /** One live session, or `null`. */
  async get(sessionId: string): Promise<SessionInfo | null> {
    if (!parseSessionId(sessionId)) return null;
    const record = await this.store.get(sessionId, Date.now());
    return record ? toInfo(record) : null;
  }

  private reportReuse(sessionId: string, userId: string, client: ClientInfo, now: number): void {
    this.logger.warn(
      `Refresh token reuse detected for user ${JSON.stringify(userId)}: session revoked`,
    );
    this.events.emit({
      name: 'session.reuse-detected',
      userId,
      sessionId,
      at: new Date(now),
      ...clientFields(client),
    });
    this.events.revoked([sessionId], 'reuse-detected', now, userId);
  }
}

function toInfo(record: SessionRecord): SessionInfo {
  return {
    id: record.sessionId,
    userId: record.userId,
    role: record.role || undefined,
    claims: { ...record.claims },
    createdAt: new Date(record.createdAt),
    lastSeenAt: new Date(record.lastSeenAt),
    authenticatedAt: new Date(record.authenticatedAt),
    expiresAt: new Date(Math.min(record.idleExpiresAt, record.absoluteExpiresAt)),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    userAgent: record.userAgent || undefined,
    ip: record.ip || undefined,
  };
}
