import type { ClaimValue } from './session.interface.js';

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

/** A verified refresh token, as `RefreshGuard` leaves it on the request. */
export interface RefreshPrincipal {
  kind: 'refresh';
  userId: string;
  sessionId: string;
  jti: string;
  expiresAt: Date;
}
