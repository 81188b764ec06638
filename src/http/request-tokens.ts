import { MAX_TOKEN_LENGTH } from '../session.constants.js';
import type { CookieRequest } from './http.types.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^Bearer +(\S+)$/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A string shaped like a compact JWT and not absurdly long, else `undefined`. */
function tokenShaped(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(value)
    ? value
    : undefined;
}

/** Whether the request carries an `Authorization` header (which then is the only source read). */
export function hasAuthorizationHeader(req: CookieRequest): boolean {
  return req.headers.authorization !== undefined;
}

/**
 * The token of an `Authorization: Bearer` header, if well-formed. A request with two
 * `Authorization` lines is ambiguous (Node would keep the first): it has no token.
 */
export function readBearer(req: CookieRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || authorizationLines(req) > 1) return undefined;
  return tokenShaped(BEARER.exec(header)?.[1]);
}

function authorizationLines(req: CookieRequest): number {
  const raw = req.rawHeaders ?? req.raw?.rawHeaders;
  if (!Array.isArray(raw)) return 1;
  let lines = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') lines += 1;
  }
  return lines;
}

/**
 * Reads one cookie from the raw `Cookie` header. A name sent twice is ambiguous (a cookie planted
 * for a parent domain or a longer path can shadow ours), so it counts as absent. This is also why
 * the module does not rely on cookie-parser's `req.cookies`, which silently keeps the first.
 */
export function readCookie(req: CookieRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 16_384) return undefined;
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = pair.slice(eq + 1).trim();
  }
  return found === undefined ? undefined : tokenShaped(found);
}

/** Whether a request can change state (anything but GET, HEAD and OPTIONS). */
export function isUnsafeMethod(req: CookieRequest): boolean {
  return !SAFE_METHODS.has((req.method ?? 'GET').toUpperCase());
}

/** A token-shaped `refreshToken` field of a JSON body, if any. */
export function readBodyRefreshToken(req: CookieRequest): string | undefined {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return tokenShaped((body as Record<string, unknown>).refreshToken);
}

/**
 * Whether a browser sent this request from another site: an `Origin` that is neither the
 * request's own host nor allowed, or `Sec-Fetch-Site: cross-site` without an allowed `Origin`.
 * Requests with neither header (non-browser clients) are not cross-site. With `secureCookies`, a
 * plain-http `Origin` on the request's own host counts as another site too (a downgraded page
 * on the same host, e.g. injected by a network attacker), except on loopback hosts, which
 * browsers treat as secure.
 */
export function isCrossSite(
  req: CookieRequest,
  allowedOrigins: ReadonlySet<string>,
  secureCookies = false,
): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (typeof origin !== 'string' || origin === 'null') return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return true;
    }
    if (allowedOrigins.has(url.origin)) return false;
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return true;
    if (secureCookies && url.protocol === 'http:' && !isLoopback(url.hostname)) return true;
    return url.host !== req.headers.host;
  }
  return req.headers['sec-fetch-site'] === 'cross-site';
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** The client's user agent and ip, as recorded with a session. */
export function clientInfo(req: CookieRequest | undefined): { userAgent: string; ip: string } {
  const ua = req?.headers['user-agent'];
  return {
    userAgent: typeof ua === 'string' ? ua : '',
    ip: req?.ip ?? req?.socket?.remoteAddress ?? '',
  };
}
