import type { IncomingHttpHeaders } from 'node:http';
import type { CookieRequest } from '../../src/http/http.types.js';
import { readBearer, readCookie } from '../../src/http/request-credentials.js';
import { isCrossSite, isUnsafeMethod } from '../../src/http/same-site.js';

/** A compact-JWT-shaped string (the readers check shape, not signatures). */
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';
const OTHER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.b3RoZXItc2lnbmF0dXJl';

function req(headers: IncomingHttpHeaders, method = 'POST'): CookieRequest {
  return { method, headers };
}

/** A JWT-shaped token of exactly `length` characters. */
function tokenOfLength(length: number): string {
  const head = 'aaaa.bbbb.';
  return head + 'c'.repeat(length - head.length);
}

describe('readBearer', () => {
  it('reads the token of a Bearer header', () => {
    expect(readBearer(req({ authorization: `Bearer ${TOKEN}` }))).toBe(TOKEN);
  });

  it.each([['bearer'], ['BEARER'], ['BeArEr']])('accepts the scheme spelled %p', (scheme) => {
    expect(readBearer(req({ authorization: `${scheme} ${TOKEN}` }))).toBe(TOKEN);
  });

  it('accepts several spaces between scheme and token (RFC 6750: 1*SP)', () => {
    expect(readBearer(req({ authorization: `Bearer   ${TOKEN}` }))).toBe(TOKEN);
  });

  it('reads nothing without an Authorization header', () => {
    expect(readBearer(req({}))).toBeUndefined();
  });

  it.each([
    ['a Basic header', `Basic ${Buffer.from('alice:pw').toString('base64')}`],
    ['a Basic header carrying a JWT', `Basic ${TOKEN}`],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['a token without scheme', TOKEN],
    ['a scheme glued to the token', `Bearer${TOKEN}`],
    ['a leading space', ` Bearer ${TOKEN}`],
    ['a trailing space', `Bearer ${TOKEN} `],
    ['a tab separator', `Bearer\t${TOKEN}`],
    ['two tokens', `Bearer ${TOKEN} ${OTHER}`],
    ['trailing garbage', `Bearer ${TOKEN} garbage`],
    ['a comma-joined second credential', `Bearer ${TOKEN}, Basic abc`],
    ['a prefixed scheme', `XBearer ${TOKEN}`],
    ['a newline after the token', `Bearer ${TOKEN}\nx`],
  ])('refuses %s', (_case, authorization) => {
    expect(readBearer(req({ authorization }))).toBeUndefined();
  });

  it.each([
    ['no dots', 'abcdef'],
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['an empty part', 'a..c'],
    ['an empty signature (alg none)', 'a.b.'],
    ['base64 padding', 'abc=.def.ghi'],
    ['standard base64 characters', 'ab+c.de/f.ghi'],
    ['a quoted token', `"${TOKEN}"`],
  ])('refuses a bearer token with %s', (_case, token) => {
    expect(readBearer(req({ authorization: `Bearer ${token}` }))).toBeUndefined();
  });

  it('accepts a token of 4096 characters and refuses one of 4097', () => {
    const max = tokenOfLength(4096);
    expect(readBearer(req({ authorization: `Bearer ${max}` }))).toBe(max);
    expect(readBearer(req({ authorization: `Bearer ${tokenOfLength(4097)}` }))).toBeUndefined();
  });
});

describe('readCookie', () => {
  it('finds the named cookie among others', () => {
    const cookie = `theme=dark; access_token=${TOKEN}; refresh_token=${OTHER}; lang=en`;
    expect(readCookie(req({ cookie }), 'access_token')).toBe(TOKEN);
    expect(readCookie(req({ cookie }), 'refresh_token')).toBe(OTHER);
  });

  it('finds a cookie without spaces after the separators', () => {
    expect(readCookie(req({ cookie: `a=1;access_token=${TOKEN};b=2` }), 'access_token')).toBe(
      TOKEN,
    );
  });

  it('reads nothing without a Cookie header or without the cookie', () => {
    expect(readCookie(req({}), 'access_token')).toBeUndefined();
    expect(readCookie(req({ cookie: 'theme=dark' }), 'access_token')).toBeUndefined();
  });

  it('does not take a cookie whose name only contains the wanted name', () => {
    const cookie = `xaccess_token=${TOKEN}; access_token_old=${TOKEN}`;
    expect(readCookie(req({ cookie }), 'access_token')).toBeUndefined();
  });

  it('treats a name sent twice as absent (a planted cookie could shadow ours)', () => {
    expect(
      readCookie(req({ cookie: `access_token=${TOKEN}; access_token=${OTHER}` }), 'access_token'),
    ).toBeUndefined();
    expect(
      readCookie(req({ cookie: `access_token=${TOKEN}; access_token=${TOKEN}` }), 'access_token'),
    ).toBeUndefined();
    expect(
      readCookie(req({ cookie: `access_token=junk; a=1; access_token=${TOKEN}` }), 'access_token'),
    ).toBeUndefined();
  });

  it.each([
    ['an empty value', ''],
    ['a non-JWT value', 'hello'],
    ['a quoted token', `"${TOKEN}"`],
    ['a url-encoded token', encodeURIComponent(`${TOKEN}=`)],
    ['an unsigned token', 'a.b.'],
    ['a value of 4097 characters', tokenOfLength(4097)],
  ])('reads nothing from a cookie with %s', (_case, value) => {
    expect(readCookie(req({ cookie: `access_token=${value}` }), 'access_token')).toBeUndefined();
  });

  it('reads nothing from a Cookie header over 16 KiB, even when the cookie is in it', () => {
    const cookie = `access_token=${TOKEN}; filler=${'x'.repeat(16_384)}`;
    expect(readCookie(req({ cookie }), 'access_token')).toBeUndefined();
  });

  it('still reads a large but bounded Cookie header', () => {
    const cookie = `filler=${'x'.repeat(10_000)}; access_token=${TOKEN}`;
    expect(readCookie(req({ cookie }), 'access_token')).toBe(TOKEN);
  });
});

describe('isCrossSite', () => {
  const none = new Set<string>();
  const allowed = new Set(['https://app.example']);

  it('allows a request from its own host', () => {
    expect(isCrossSite(req({ host: 'api.example', origin: 'https://api.example' }), none)).toBe(
      false,
    );
    expect(
      isCrossSite(req({ host: 'localhost:3000', origin: 'http://localhost:3000' }), none),
    ).toBe(false);
  });

  it.each([
    ['another host', 'https://evil.example'],
    ['a subdomain', 'https://sub.api.example'],
    ['a suffix host', 'https://api.example.evil.com'],
    ['another port', 'https://api.example:8443'],
  ])('refuses an Origin of %s', (_case, origin) => {
    expect(isCrossSite(req({ host: 'api.example', origin }), none)).toBe(true);
  });

  describe('with Secure cookies', () => {
    it.each([
      ['its own host over plain http', 'api.example', 'http://api.example'],
      ['its own host and port over plain http', 'api.example:8080', 'http://api.example:8080'],
      ['a non-web scheme on its own host', 'api.example', 'ftp://api.example'],
    ])('refuses %s', (_case, host, origin) => {
      expect(isCrossSite(req({ host, origin }), none, true)).toBe(true);
      // Without Secure cookies the plain-http page is the app's own (local development).
      if (origin.startsWith('http:')) expect(isCrossSite(req({ host, origin }), none)).toBe(false);
    });

    it.each([
      ['https on its own host', 'api.example', 'https://api.example'],
      ['http on localhost', 'localhost:3000', 'http://localhost:3000'],
      ['http on 127.0.0.1', '127.0.0.1:3000', 'http://127.0.0.1:3000'],
      ['http on [::1]', '[::1]:3000', 'http://[::1]:3000'],
    ])('allows %s (browsers treat loopback as secure)', (_case, host, origin) => {
      expect(isCrossSite(req({ host, origin }), none, true)).toBe(false);
    });

    it('allows a listed plain-http origin', () => {
      const listed = new Set(['http://legacy.example']);
      expect(
        isCrossSite(req({ host: 'api.example', origin: 'http://legacy.example' }), listed, true),
      ).toBe(false);
    });
  });

  it("refuses Origin 'null' (sandboxed frames, file: pages)", () => {
    expect(isCrossSite(req({ host: 'api.example', origin: 'null' }), none)).toBe(true);
    expect(isCrossSite(req({ host: 'api.example', origin: 'null' }), allowed)).toBe(true);
  });

  it('accepts an allowed origin', () => {
    expect(isCrossSite(req({ host: 'api.example', origin: 'https://app.example' }), allowed)).toBe(
      false,
    );
  });

  it('refuses an origin that is allowed only on another scheme or port', () => {
    expect(isCrossSite(req({ host: 'api.example', origin: 'http://app.example' }), allowed)).toBe(
      true,
    );
    expect(
      isCrossSite(req({ host: 'api.example', origin: 'https://app.example:444' }), allowed),
    ).toBe(true);
  });

  it.each([['not a url'], [''], ['*'], ['//evil.example'], ['api.example']])(
    'refuses the malformed Origin %p',
    (origin) => {
      expect(isCrossSite(req({ host: 'api.example', origin }), none)).toBe(true);
    },
  );

  it('refuses an Origin when the request has no Host header', () => {
    expect(isCrossSite(req({ origin: 'https://api.example' }), none)).toBe(true);
  });

  it('refuses Sec-Fetch-Site cross-site without an Origin', () => {
    expect(isCrossSite(req({ host: 'api.example', 'sec-fetch-site': 'cross-site' }), none)).toBe(
      true,
    );
  });

  it('refuses Sec-Fetch-Site cross-site with a foreign Origin, accepts it with an allowed one', () => {
    const headers = { host: 'api.example', 'sec-fetch-site': 'cross-site' };
    expect(isCrossSite(req({ ...headers, origin: 'https://evil.example' }), allowed)).toBe(true);
    expect(isCrossSite(req({ ...headers, origin: 'https://app.example' }), allowed)).toBe(false);
  });

  it.each([['same-site'], ['same-origin'], ['none']])(
    'allows Sec-Fetch-Site %p without an Origin',
    (site) => {
      expect(isCrossSite(req({ host: 'api.example', 'sec-fetch-site': site }), none)).toBe(false);
    },
  );

  it('allows a request with neither Origin nor Sec-Fetch-Site (non-browser clients)', () => {
    expect(isCrossSite(req({ host: 'api.example' }), none)).toBe(false);
    expect(isCrossSite(req({}), none)).toBe(false);
  });
});

describe('isUnsafeMethod', () => {
  it.each([['GET'], ['HEAD'], ['OPTIONS'], ['get'], ['head']])('counts %s as safe', (method) => {
    expect(isUnsafeMethod(req({}, method))).toBe(false);
  });

  it.each([['POST'], ['PUT'], ['PATCH'], ['DELETE'], ['post'], ['delete'], ['PROPFIND']])(
    'counts %s as state-changing',
    (method) => {
      expect(isUnsafeMethod(req({}, method))).toBe(true);
    },
  );

  it('counts a request without a method as GET', () => {
    expect(isUnsafeMethod({ headers: {} })).toBe(false);
  });
});
