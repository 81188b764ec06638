import type { CookieRequest, SessionCredential } from './http.types.js';
import { SessionCrossSiteException } from '../session.exceptions.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the same-site rule needs of the options. */
export interface SameSitePolicy {
  /** Origins besides the request's own allowed to send cookie-authenticated writes. */
  allowedOrigins: ReadonlySet<string>;
  /** Whether the cookies are `Secure` (then a plain-http page is another site). */
  secureCookies: boolean;
}

/**
 * The same-site rule, in one place: a state-changing request authenticated by a COOKIE from
 * another site is refused with 403 (`SessionCrossSiteException`), before its token is looked at.
 * It follows the credential actually used: a Bearer header or a JSON body is not sent by a
 * browser on its own, so it needs no such check; a cookie always is.
 */
export function assertSameSite(
  request: CookieRequest,
  credential: SessionCredential | undefined,
  policy: SameSitePolicy,
): void {
  if (
    credential?.source === 'cookie' &&
    isUnsafeMethod(request) &&
    isCrossSite(request, policy.allowedOrigins, policy.secureCookies)
  ) {
    throw new SessionCrossSiteException();
  }
}

/** Whether a request can change state (anything but GET, HEAD and OPTIONS). */
export function isUnsafeMethod(req: CookieRequest): boolean {
  return !SAFE_METHODS.has((req.method ?? 'GET').toUpperCase());
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
