import type { IssuedTokens, SessionInfo } from '../session.types.js';

/** Body of `POST /auth/refresh` (and the shape of a login answer's token part). */
export interface RefreshResponse {
  accessToken: string;
  accessTokenExpiresAt: string;
  sessionId: string;
  /** Only when `refreshToken.acceptFromBody` is on. */
  refreshToken?: string;
  refreshTokenExpiresAt?: string;
}

/** One entry of `GET /auth/sessions`. */
export interface SessionListItem {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** The refresh answer; the refresh token travels in JSON only for clients without cookies. */
export function toRefreshResponse(
  issued: IssuedTokens,
  withRefreshToken: boolean,
): RefreshResponse {
  return {
    accessToken: issued.accessToken,
    accessTokenExpiresAt: issued.accessTokenExpiresAt.toISOString(),
    sessionId: issued.sessionId,
    ...(withRefreshToken
      ? {
          refreshToken: issued.refreshToken,
          refreshTokenExpiresAt: issued.refreshTokenExpiresAt.toISOString(),
        }
      : {}),
  };
}

/** One session of the device list, as the caller sees it (`current`: the caller's own). */
export function toListItem(session: SessionInfo, currentSessionId: string): SessionListItem {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent ?? null,
    ip: session.ip ?? null,
    current: session.id === currentSessionId,
  };
}
