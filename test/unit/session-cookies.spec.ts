import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { resolveSessionConfig } from '../../src/config/resolve-config.js';
import { SessionCookies } from '../../src/http/session-cookies.js';
import type {
  SessionModuleExtras,
  SessionModuleOptions,
} from '../../src/config/session-options.js';
import type { IssuedTokens } from '../../src/session.types.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';

const ACCESS = 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoiYWNjZXNzIn0.YWNjZXNzLXNpZw';
const REFRESH = 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoicmVmcmVzaCJ9.cmVmcmVzaC1zaWc';
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 250);

function cookies(
  cookieOptions: SessionModuleOptions['cookies'] = {},
  extras: SessionModuleExtras = {},
): SessionCookies {
  const config = resolveSessionConfig(
    {
      accessToken: { secret: 'cookie-access-secret-0123456789abcdefghijkl' },
      refreshToken: { secret: 'cookie-refresh-secret-0123456789abcdefghijk' },
      repository: new MemorySessionRepository(),
      cookies: cookieOptions,
    },
    extras,
  );
  return new SessionCookies(config);
}

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

function issued(): IssuedTokens {
  return {
    sessionId: 'YWxpY2U.session',
    userId: 'alice',
    accessToken: ACCESS,
    accessTokenExpiresAt: new Date(NOW + 15 * 60_000),
    refreshToken: REFRESH,
    refreshTokenExpiresAt: new Date(NOW + 7 * 86_400_000),
  };
}

interface ParsedCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags map to `true`. */
  attributes: Record<string, string | true>;
}

function setCookieLines(res: ServerResponse): string[] {
  const header = res.getHeader('Set-Cookie');
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [String(header)];
}

function parse(line: string): ParsedCookie {
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const parsed: ParsedCookie = {
    name: pair.slice(0, eq),
    value: pair.slice(eq + 1),
    attributes: {},
  };
  for (const attribute of attributes) {
    const at = attribute.indexOf('=');
    if (at < 0) parsed.attributes[attribute.toLowerCase()] = true;
    else parsed.attributes[attribute.slice(0, at).toLowerCase()] = attribute.slice(at + 1);
  }
  return parsed;
}

function byName(res: ServerResponse): Map<string, ParsedCookie> {
  return new Map(setCookieLines(res).map((line) => [parse(line).name, parse(line)]));
}

describe('SessionCookies', () => {
  describe('set', () => {
    it('sets both cookies with the tokens as values', () => {
      const res = response();
      cookies().set(res, issued(), NOW);
      const set = byName(res);
      expect([...set.keys()]).toEqual(['access_token', 'refresh_token']);
      expect(set.get('access_token')?.value).toBe(ACCESS);
      expect(set.get('refresh_token')?.value).toBe(REFRESH);
    });

    it('makes both cookies HttpOnly, Secure and SameSite=Strict by default', () => {
      const res = response();
      cookies().set(res, issued(), NOW);
      for (const cookie of byName(res).values()) {
        expect(cookie.attributes).toMatchObject({
          httponly: true,
          secure: true,
          samesite: 'Strict',
        });
        expect(cookie.attributes.domain).toBeUndefined();
      }
    });

    it('scopes the access cookie to / and the refresh cookie to /auth', () => {
      const res = response();
      cookies().set(res, issued(), NOW);
      expect(byName(res).get('access_token')?.attributes.path).toBe('/');
      expect(byName(res).get('refresh_token')?.attributes.path).toBe('/auth');
    });

    it('scopes the refresh cookie to a custom route prefix', () => {
      const res = response();
      cookies({}, { routes: { prefix: 'custom' } }).set(res, issued(), NOW);
      expect(byName(res).get('access_token')?.attributes.path).toBe('/');
      expect(byName(res).get('refresh_token')?.attributes.path).toBe('/custom');
    });

    it("sets Max-Age to each token's remaining life in whole seconds", () => {
      const res = response();
      cookies().set(res, issued(), NOW);
      expect(byName(res).get('access_token')?.attributes['max-age']).toBe('900');
      expect(byName(res).get('refresh_token')?.attributes['max-age']).toBe('604800');
    });

    it('rounds Max-Age down, so a cookie never outlives its token', () => {
      const res = response();
      cookies().set(res, issued(), NOW + 1500);
      expect(byName(res).get('access_token')?.attributes['max-age']).toBe('898');
    });

    it('gives Max-Age=0 for a token already expired', () => {
      const res = response();
      cookies().set(res, issued(), NOW + 8 * 86_400_000);
      expect(byName(res).get('access_token')?.attributes['max-age']).toBe('0');
      expect(byName(res).get('refresh_token')?.attributes['max-age']).toBe('0');
    });

    it('leaves Secure off when cookies.secure is false', () => {
      const res = response();
      cookies({ secure: false }).set(res, issued(), NOW);
      for (const cookie of byName(res).values()) {
        expect(cookie.attributes.secure).toBeUndefined();
        expect(cookie.attributes.httponly).toBe(true);
      }
    });

    it('uses the configured names, SameSite and Domain', () => {
      const res = response();
      cookies({ accessName: 'at', refreshName: 'rt', sameSite: 'lax', domain: 'example.com' }).set(
        res,
        issued(),
        NOW,
      );
      const set = byName(res);
      expect([...set.keys()]).toEqual(['at', 'rt']);
      for (const cookie of set.values()) {
        expect(cookie.attributes.samesite).toBe('Lax');
        expect(cookie.attributes.domain).toBe('example.com');
      }
    });

    it('keeps Set-Cookie headers already on the response', () => {
      const res = response();
      res.setHeader('Set-Cookie', ['theme=dark; Path=/', 'lang=en; Path=/']);
      cookies().set(res, issued(), NOW);
      const lines = setCookieLines(res);
      expect(lines.slice(0, 2)).toEqual(['theme=dark; Path=/', 'lang=en; Path=/']);
      expect(lines.map((line) => parse(line).name)).toEqual([
        'theme',
        'lang',
        'access_token',
        'refresh_token',
      ]);
    });

    it('keeps a single Set-Cookie string already on the response', () => {
      const res = response();
      res.setHeader('Set-Cookie', 'theme=dark; Path=/');
      cookies().set(res, issued(), NOW);
      expect(setCookieLines(res).map((line) => parse(line).name)).toEqual([
        'theme',
        'access_token',
        'refresh_token',
      ]);
    });

    it('writes nothing when cookies are disabled', () => {
      const res = response();
      cookies({ enabled: false }).set(res, issued(), NOW);
      expect(res.getHeader('Set-Cookie')).toBeUndefined();
    });

    it('writes through header() on a Fastify-like reply', () => {
      const written: [string, string][] = [];
      cookies().set({ header: (name, value) => written.push([name, value]) }, issued(), NOW);
      expect(written.map(([name]) => name)).toEqual(['Set-Cookie', 'Set-Cookie']);
      expect(written.map(([, value]) => parse(value).name)).toEqual([
        'access_token',
        'refresh_token',
      ]);
    });
  });

  describe('clear', () => {
    it('clears both cookies with Max-Age=0 and empty values on the same paths', () => {
      const res = response();
      cookies().clear(res);
      const set = byName(res);
      expect(set.get('access_token')).toMatchObject({
        value: '',
        attributes: { 'max-age': '0', path: '/', httponly: true, secure: true, samesite: 'Strict' },
      });
      expect(set.get('refresh_token')).toMatchObject({
        value: '',
        attributes: {
          'max-age': '0',
          path: '/auth',
          httponly: true,
          secure: true,
          samesite: 'Strict',
        },
      });
    });

    it('clears the refresh cookie on a custom route prefix', () => {
      const res = response();
      cookies({}, { routes: { prefix: 'custom' } }).clear(res);
      expect(byName(res).get('refresh_token')?.attributes.path).toBe('/custom');
    });

    it('keeps Set-Cookie headers already on the response', () => {
      const res = response();
      res.setHeader('Set-Cookie', ['theme=dark; Path=/']);
      cookies().clear(res);
      expect(setCookieLines(res).map((line) => parse(line).name)).toEqual([
        'theme',
        'access_token',
        'refresh_token',
      ]);
    });

    it('writes nothing when cookies are disabled', () => {
      const res = response();
      cookies({ enabled: false }).clear(res);
      expect(res.getHeader('Set-Cookie')).toBeUndefined();
    });
  });
});
