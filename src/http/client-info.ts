import type { CookieRequest } from './http.types.js';

/** Longest user agent stored with a session. */
const MAX_USER_AGENT_LENGTH = 256;
/** Longest ip stored with a session. */
const MAX_IP_LENGTH = 64;

/** Who a login or refresh comes from, as recorded with the session. */
export interface ClientInfo {
  userAgent: string;
  ip: string;
}

/** The client's user agent and ip from a request (or the given overrides), cut to size. */
export function clientInfo(
  request: CookieRequest | undefined,
  overrides: { userAgent?: string; ip?: string } = {},
): ClientInfo {
  const ua = request?.headers['user-agent'];
  const userAgent = overrides.userAgent ?? (typeof ua === 'string' ? ua : '');
  const ip = overrides.ip ?? request?.ip ?? request?.socket?.remoteAddress ?? '';
  return {
    userAgent: userAgent.slice(0, MAX_USER_AGENT_LENGTH),
    ip: ip.slice(0, MAX_IP_LENGTH),
  };
}
