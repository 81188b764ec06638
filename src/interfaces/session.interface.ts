import type { CookieRequest, CookieResponse } from '../http/http.types.js';

/** A value allowed in a custom claim: small, flat, and never personal data. */
export type ClaimValue = string | number | boolean;

/** Who a session is for, as given to `SessionService.create()`. */
export interface SessionUser {
  /** The app's stable user id (any string up to 128 bytes). */
  id: string;
  /** Role signed into the access token and checked by `@Roles()`. */
  role?: string;
  /** Custom claims; every name must be listed in the `customClaims` option. */
  claims?: Record<string, ClaimValue>;
}

/** Request context of a login or refresh. */
export interface SessionContext {
  /** The incoming request: user agent and ip are recorded from it. */
  request?: CookieRequest;
  /** When given, the access and refresh cookies are set on it. */
  response?: CookieResponse;
  /** Overrides the user agent read from `request`. */
  userAgent?: string;
  /** Overrides the ip read from `request`. */
  ip?: string;
}

/**
 * The authenticated caller of a guarded route, as `@CurrentSession()` returns it. Behind
 * `AccessGuard` (or `PassportAccessGuard`), `role` and `claims` are the ones stored with the
 * session now (`updateClaims()` shows at the next request), not the ones signed into the token.
 */
export interface SessionPrincipal {
  userId: string;
  sessionId: string;
  role?: string;
  claims: Record<string, ClaimValue>;
  /** Expiry of the access token that authenticated this request. */
  accessTokenExpiresAt: Date;
  /**
   * The session's last credential check (login or `markFresh()`), as the guard read it; absent
   * when only the token was verified (e.g. `TokenService.verifyAccess()`).
   */
  authenticatedAt?: Date;
}

/** What the guard reads of a live session on every request (`SessionService.readLive()`). */
export interface LiveSessionView {
  /** The role stored with the session now. */
  role?: string;
  /** The custom claims stored with the session now. */
  claims: Record<string, ClaimValue>;
  /** The last credential check: login, or the latest `markFresh()`. */
  authenticatedAt: Date;
}

/** Which sessions `SessionService.updateClaims()` changes. */
export type SessionClaimsTarget = { sessionId: string } | { userId: string };

/** What `SessionService.updateClaims()` changes; an absent field is left as it is. */
export interface SessionClaimsChange {
  /** The new role; `null` removes it. */
  role?: string | null;
  /**
   * The new custom claims, replacing the old ones entirely (`{}` removes them all); every name
   * must be listed in the `customClaims` option.
   */
  claims?: Record<string, ClaimValue>;
}

/** Tokens issued by a login or refresh. */
export interface IssuedTokens {
  sessionId: string;
  userId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

/** Result of `SessionService.create()`. */
export interface CreatedSession extends IssuedTokens {
  /** Sessions revoked because `maxSessionsPerUser` was exceeded. */
  evictedSessionIds: string[];
}

/** A session as `list()` and `get()` return it. */
export interface SessionInfo {
  id: string;
  userId: string;
  role?: string;
  claims: Record<string, ClaimValue>;
  createdAt: Date;
  lastSeenAt: Date;
  /** The last credential check: login, or the latest `markFresh()`. */
  authenticatedAt: Date;
  /** When the session ends unless refreshed: min(idle expiry, absolute expiry). */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent?: string;
  ip?: string;
}
