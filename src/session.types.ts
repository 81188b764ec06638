import type { SessionRevokedReason } from './events/session-events.js';
import type { CookieRequest, CookieResponse } from './http/http.types.js';
import type { SessionClaims } from './tokens/claim.types.js';

/** Who a session is for, as given to `SessionService.create()`. */
export interface SessionUser {
  /** The app's stable user id (any string up to 128 bytes). */
  id: string;
  /** Role signed into the access token and checked by `@Roles()`. */
  role?: string;
  /** Custom claims; every name must be listed in the `customClaims` option. */
  claims?: SessionClaims;
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
  claims?: SessionClaims;
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
  claims: SessionClaims;
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
