import { MAX_TOKEN_LENGTH } from '../tokens/token.types.js';
import type { CookieRequest, SessionCredential } from './http.types.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^Bearer +(\S+)$/i;

/** A string shaped like a compact JWT and not absurdly long, else `undefined`. */
function tokenShaped(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(value)
    ? value
    : undefined;
}

/** Whether the request carries an `Authorization` header (which then is the only source read). */
function hasAuthorizationHeader(req: CookieRequest): boolean {
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

/** A token-shaped `refreshToken` field of a JSON body, if any. */
function readBodyRefreshToken(req: CookieRequest): string | undefined {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return tokenShaped((body as Record<string, unknown>).refreshToken);
}

/** Where the module reads tokens from: which cookies, and whether a refresh body counts. */
export interface CredentialSources {
  cookies: { enabled: boolean; accessName: string; refreshName: string };
  refreshFromBody: boolean;
}

/**
 * The access token: `Authorization: Bearer`, else the access cookie (never the query string or
 * the body). When an `Authorization` header is present it is the only source read, whatever its
 * scheme: a request that names its credential is not also read for a cookie.
 */
export function accessCredential(
  req: CookieRequest,
  sources: CredentialSources,
): SessionCredential | undefined {
  if (hasAuthorizationHeader(req)) {
    const token = readBearer(req);
    return token ? { token, source: 'header' } : undefined;
  }
  const token = sources.cookies.enabled ? readCookie(req, sources.cookies.accessName) : undefined;
  return token ? { token, source: 'cookie' } : undefined;
}

/** The refresh token: its cookie, else the JSON body field `refreshToken` when that is allowed. */
export function refreshCredential(
  req: CookieRequest,
  sources: CredentialSources,
): SessionCredential | undefined {
  const cookie = sources.cookies.enabled ? readCookie(req, sources.cookies.refreshName) : undefined;
  if (cookie) return { token: cookie, source: 'cookie' };
  const body = sources.refreshFromBody ? readBodyRefreshToken(req) : undefined;
  return body ? { token: body, source: 'body' } : undefined;
}
