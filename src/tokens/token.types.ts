import type { ClaimValue, SessionClaims } from './claim.types.js';

/** Longest token read from a request or verified; anything longer is refused unparsed. */
export const MAX_TOKEN_LENGTH = 4096;

/** Claims of an access token (header `typ: at+jwt`). */
export interface AccessTokenPayload {
  sub: string;
  sid: string;
  jti: string;
  type: 'access';
  role?: string;
  iat: number;
  exp: number;
  iss?: string;
  aud?: string;
  [claim: string]: ClaimValue | undefined;
}

/** Claims of a refresh token (header `typ: JWT`), signed with its own key. */
export interface RefreshTokenPayload {
  sub: string;
  sid: string;
  /** The rotation id: the session stores the one current jti. */
  jti: string;
  type: 'refresh';
  iat: number;
  exp: number;
  iss?: string;
  aud?: string;
}

/**
 * The authenticated caller of a guarded route, as `@CurrentSession()` returns it. Behind
 * `AccessGuard`, `role` and `claims` are the ones stored with the session now (`updateClaims()`
 * shows at the next request), not the ones signed into the token.
 */
export interface SessionPrincipal {
  userId: string;
  sessionId: string;
  role?: string;
  claims: SessionClaims;
  /** Expiry of the access token that authenticated this request. */
  accessTokenExpiresAt: Date;
  /**
   * The session's last credential check (login or `markFresh()`), as the guard read it; absent
   * when only the token was verified.
   */
  authenticatedAt?: Date;
}

/** A verified refresh token, as `RefreshGuard` leaves it on the request. */
export interface RefreshPrincipal {
  kind: 'refresh';
  userId: string;
  sessionId: string;
  jti: string;
  expiresAt: Date;
}

/** A signed token and when it expires. */
export interface SignedToken {
  token: string;
  expiresAt: Date;
}
