import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedSessionConfig } from './config/resolved-session-config.js';
import { clientInfo, readCookie } from './http/request-tokens.js';
import { SessionCookies } from './http/session-cookies.js';
import type { CookieRequest, CookieResponse } from './http/http.types.js';
import type {
  ClaimValue,
  CreatedSession,
  IssuedTokens,
  SessionContext,
  SessionInfo,
  SessionUser,
} from './interfaces/session.interface.js';
import type { RefreshPrincipal } from './interfaces/token-payload.interface.js';
import type { SessionRecord } from './repositories/session-record.interface.js';
import { SessionRepository } from './repositories/session.repository.js';
import { RevocationCache } from './revocation/revocation-cache.js';
import { MAX_USER_AGENT_LENGTH, SESSION_CONFIG } from './session.constants.js';
import { SessionArgumentError, SessionUnauthorizedException } from './session.exceptions.js';
import { isValidUserId, newSessionId, parseSessionId, randomId } from './session-id.js';
import { TokenService } from './token.service.js';

const MAX_ROLE_LENGTH = 64;
const MAX_CLAIMS_JSON = 1024;

/**
 * The facade apps inject: log a user in, refresh, list and revoke sessions. Every session is
 * checked against the store on every request, so a revocation takes effect at the next request.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('SessionService');

  constructor(
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
    private readonly repository: SessionRepository,
    private readonly tokens: TokenService,
    private readonly cookies: SessionCookies,
    private readonly revocations: RevocationCache,
  ) {}

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
      ...this.client(ctx),
    };
    const replaced = this.presentedSessionId(ctx.request);
    const evictedSessionIds = await this.repository.create(record, this.config.maxSessionsPerUser);
    // Re-authentication ends the session this browser held: it would be orphaned otherwise.
    if (replaced) await this.repository.revoke(replaced);
    await this.revocations.sessionsEnded(
      replaced ? [...evictedSessionIds, replaced] : evictedSessionIds,
    );
    const issued = this.issue({ ...record, previousJti: '', previousRetiredAt: 0 }, now);
    if (ctx.response) this.cookies.set(ctx.response, issued, now);
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
    const result = await this.repository.rotate({
      sessionId: principal.sessionId,
      presentedJti: principal.jti,
      nextJti: randomId(),
      now,
      graceMs: this.config.refresh.reuseGraceMs,
      idleMs: this.config.idleTimeoutMs,
      ...this.client(ctx),
    });
    if (result.status === 'reused') {
      await this.revocations.sessionsEnded([principal.sessionId]);
      this.logger.warn(
        `Refresh token reuse detected for user ${JSON.stringify(result.userId)}: session revoked`,
      );
    }
    if (result.status !== 'rotated' && result.status !== 'grace') {
      if (ctx.response) this.cookies.clear(ctx.response);
      throw new SessionUnauthorizedException();
    }
    const issued = this.issue(result.record, now);
    if (ctx.response) this.cookies.set(ctx.response, issued, now);
    return issued;
  }

  /** Ends one session. @returns whether it existed. */
  async revoke(sessionId: string): Promise<boolean> {
    if (!parseSessionId(sessionId)) return false;
    const existed = await this.repository.revoke(sessionId);
    if (existed) await this.revocations.sessionsEnded([sessionId]);
    return existed;
  }

  /**
   * Ends every session of a user, except `options.except` (e.g. the caller's own session after a
   * password change). @returns how many were ended.
   */
  async revokeAll(userId: string, options: { except?: string } = {}): Promise<number> {
    if (!isValidUserId(userId)) return 0;
    const ended = await this.repository.revokeAll(userId, options.except);
    // The excepted session is dropped from caches too; it is simply read again.
    if (ended > 0) await this.revocations.userSessionsEnded(userId);
    return ended;
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
    return this.revocations.isLive(sessionId, notAfter, () =>
      this.repository.isLive(sessionId, Date.now()),
    );
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
    const role = user.role ?? '';
    if (typeof role !== 'string' || role.length > MAX_ROLE_LENGTH) {
      throw new SessionArgumentError(
        `user.role must be a string of at most ${MAX_ROLE_LENGTH} characters`,
      );
    }
    const claims = user.claims ?? {};
    for (const [name, value] of Object.entries(claims)) {
      if (!this.config.customClaims.has(name)) {
        throw new SessionArgumentError(`claim "${name}" is not listed in the customClaims option`);
      }
      if (typeof value !== 'string' && typeof value !== 'boolean' && !Number.isFinite(value)) {
        throw new SessionArgumentError(`claim "${name}" must be a string, number or boolean`);
      }
    }
    if (JSON.stringify(claims).length > MAX_CLAIMS_JSON) {
      throw new SessionArgumentError(`claims must serialize to at most ${MAX_CLAIMS_JSON} bytes`);
    }
    return { role, claims };
  }
}

function parseClaims(json: string): Record<string, ClaimValue> {
  if (!json) return {};
  const value: unknown = JSON.parse(json);
  return value && typeof value === 'object' ? (value as Record<string, ClaimValue>) : {};
}

function toInfo(record: SessionRecord): SessionInfo {
  return {
    id: record.sessionId,
    userId: record.userId,
    role: record.role || undefined,
    claims: parseClaims(record.claims),
    createdAt: new Date(record.createdAt),
    lastSeenAt: new Date(record.lastSeenAt),
    expiresAt: new Date(Math.min(record.idleExpiresAt, record.absoluteExpiresAt)),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    userAgent: record.userAgent || undefined,
    ip: record.ip || undefined,
  };
}
