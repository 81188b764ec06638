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

/** The authenticated caller of a guarded route, as `@CurrentSession()` returns it. */
export interface SessionPrincipal {
  userId: string;
  sessionId: string;
  role?: string;
  claims: Record<string, ClaimValue>;
  /** Expiry of the access token that authenticated this request. */
  accessTokenExpiresAt: Date;
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
  /** When the session ends unless refreshed: min(idle expiry, absolute expiry). */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent?: string;
  ip?: string;
}
