import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Response } from 'playwright-core';
import request from 'supertest';
import { SESSION_NOT_FRESH, SessionRepository, SessionService } from 'nest-redis-sessions';
import {
  ADAPTERS,
  PASSWORDS,
  useSampleApp,
  useSampleProcess,
  waitFor,
  type HttpServer,
} from '../support/e2e.js';

/** Debian's Chromium (`.ci/run` installs it when missing), or another Chromium's path. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots of every step, for a person to look at (one folder per HTTP adapter). */
const OUTPUT = join(process.cwd(), 'test-output', 'browser');
/** A phone's user agent with HTML in it: the sessions list must show it as text. */
const HOSTILE_AGENT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like ' +
  'Gecko) Version/18.1 Mobile/15E148 Safari/604.1 <img src=x onerror="document.body.dataset.xss=1">' +
  '"><script>document.body.dataset.xss=1</script>';

/** One browser with a fresh profile: a person's device. */
interface Device {
  context: BrowserContext;
  profile: string;
  /** Status of every `POST /auth/refresh` this browser made, in order. */
  refreshes: number[];
  /** Every API call this browser made, as `METHOD /path status`, in order. */
  calls: string[];
  /** Content-Security-Policy violations and uncaught errors of its pages. */
  problems: string[];
}

const skip = process.env.SKIP_BROWSER_TESTS === '1';

(skip ? describe.skip : describe).each(ADAPTERS)('the sample page in Chromium on %s', (adapter) => {
  const devices: Device[] = [];
  // Declared before the apps: jest runs afterAll hooks in declaration order, and the browsers must
  // be gone before an app closes (their pages keep refreshing on keep-alive connections, which
  // would hold the server open).
  afterAll(async () => {
    for (const device of devices) {
      await device.context.close();
      rmSync(device.profile, { recursive: true, force: true });
    }
  });

  // A 2 s access token expires during the test; no reuse grace, so that two tabs refreshing with
  // the same cookie at once would end the session (only the page's shared refresh prevents it).
  const t = useSampleApp(`browser-page-${adapter}`, {
    HTTP_ADAPTER: adapter,
    ACCESS_TTL: '2s',
    REUSE_GRACE: '0',
  });
  // The same with one refresh a minute per client, so that the second refresh answers 429: the
  // built app in a process of its own (@nestjs/throttler does not load in jest's ESM runtime).
  const limited = useSampleProcess(`browser-page-limited-${adapter}`, {
    HTTP_ADAPTER: adapter,
    ACCESS_TTL: '2s',
    REUSE_GRACE: '0',
    RATE_LIMIT_PER_MINUTE: '1',
  });
  const out = join(OUTPUT, adapter);
  let base = '';
  let a: Device; // device A: two tabs
  let b: Device; // device B: another browser, hostile user agent
  let tab1: Page;
  let tab2: Page;
  let bTab: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the browser test needs Debian's chromium package ` +
          '(`apt-get install chromium`; .ci/run installs it) or CHROMIUM_PATH set to a Chromium. ' +
          'Set SKIP_BROWSER_TESTS=1 to skip it.',
      );
    }
    mkdirSync(out, { recursive: true });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    a = await openDevice();
    tab1 = await a.context.newPage();
  });

  async function openDevice(userAgent?: string, baseURL = base): Promise<Device> {
    const profile = mkdtempSync(join(tmpdir(), 'nrs-browser-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      baseURL,
      viewport: { width: 960, height: 720 },
      ...(userAgent ? { userAgent } : {}),
    });
    context.setDefaultTimeout(15_000); // a playwright error names what it waited for; jest's does not
    const device: Device = { context, profile, refreshes: [], calls: [], problems: [] };
    devices.push(device);
    context.on('response', (response) => {
      const { pathname } = new URL(response.url());
      device.calls.push(`${response.request().method()} ${pathname} ${response.status()}`);
      if (pathname === '/auth/refresh') device.refreshes.push(response.status());
    });
    context.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) {
        device.problems.push(message.text());
      }
    });
    context.on('weberror', (error) => device.problems.push(error.error().message));
    for (const page of context.pages()) await page.close(); // the blank start tab
    return device;
  }

  async function shot(page: Page, step: string): Promise<void> {
    await page.screenshot({ path: join(out, `${step}.png`), fullPage: true });
  }

  async function state(page: Page, expected: 'signed-in' | 'signed-out'): Promise<void> {
    await page.waitForSelector(`body[data-state="${expected}"]`);
  }

  async function signIn(page: Page, username: string): Promise<void> {
    await state(page, 'signed-out');
    await page.bringToFront();
    await page.fill('#username', username);
    await page.fill('#password', PASSWORDS[username]);
    await page.click('#login-form button[type="submit"]');
    await state(page, 'signed-in');
    await page.waitForSelector('#sessions-body tr.current');
  }

  /** The value of one of the device's cookies (the test may read HttpOnly cookies; pages cannot). */
  async function cookie(device: Device, name: string): Promise<string | undefined> {
    return (await device.context.cookies()).find((c) => c.name === name)?.value;
  }

  /** Waits until the server refuses the device's current access token: it has expired. */
  async function accessExpired(
    device: Device,
    server: HttpServer | string = t.server,
  ): Promise<void> {
    const token = await cookie(device, 'access_token');
    if (token === undefined) return; // the browser already dropped it (Max-Age)
    await waitFor(
      () => request(server).get('/me').set('Authorization', `Bearer ${token}`),
      (res) => res.status === 401,
      { timeoutMs: 10_000, intervalMs: 200, what: 'the access token to expire' },
    );
  }

  /** Clicks `selector` and waits until the action it starts is over (`<body data-done>`). */
  async function act(page: Page, selector: string): Promise<void> {
    const done = (await page.getAttribute('body', 'data-done')) ?? '';
    await page.bringToFront(); // a background tab gets no animation frames: clicks would wait
    await page.click(selector);
    // A selector, not a function to poll: the page's CSP rightly refuses playwright's eval.
    await page.waitForSelector(`body[data-done]:not([data-done="${done}"])`, { state: 'attached' });
  }

  async function stateOf(page: Page): Promise<string | null> {
    return page.getAttribute('body', 'data-state');
  }

  async function userSessionIds(userId: string): Promise<string[]> {
    return (await t.app.get(SessionService).list(userId)).map((s) => s.id);
  }

  /** What `reloadAtOnceAfterExpiry` saw. */
  interface Race {
    /** `POST /auth/refresh` requests the tabs sent (counted as they leave the browser). */
    refreshRequests: number;
    /** The statuses the server answered them. */
    refreshes: number[];
    /** The tabs whose sessions list answered 401 at least once, and 200 at the end. */
    refused: string[];
    listed: string[];
  }

  /**
   * Lets the access token expire, then reloads the sessions list in two tabs of `device` at once.
   * Every refresh is held until both tabs' lists have been refused, so the second tab asks for the
   * lock while the first one refreshes or just after (never with the new cookies already sent):
   * the race at its worst, on every run, with no timing in the test.
   */
  async function reloadAtOnceAfterExpiry(device: Device, first: Page, second: Page): Promise<Race> {
    const name = (page: Page): string => (page === first ? 'tab 1' : 'tab 2');
    const refused = new Set<string>();
    const listed = new Set<string>();
    let bothRefused: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (bothRefused = resolve));
    const onResponse = (response: Response): void => {
      if (new URL(response.url()).pathname !== '/auth/sessions') return;
      const tab = name(response.frame().page());
      if (response.status() === 401) refused.add(tab);
      if (response.status() === 200) listed.add(tab);
      if (refused.size === 2) bothRefused();
    };
    let refreshRequests = 0;
    await device.context.route('**/auth/refresh', async (route) => {
      refreshRequests += 1;
      await gate;
      await route.continue();
    });
    try {
      const before = device.refreshes.length;
      await accessExpired(device);
      for (const tab of [first, second]) {
        // Empty, so that the list shown afterwards is surely the one this reload fetched.
        await tab.evaluate("document.getElementById('sessions-body').replaceChildren()");
      }
      device.context.on('response', onResponse);
      await Promise.all([act(first, '#reload-sessions'), act(second, '#reload-sessions')]);
      return {
        refreshRequests,
        refreshes: device.refreshes.slice(before),
        refused: [...refused].sort(),
        listed: [...listed].sort(),
      };
    } finally {
      device.context.off('response', onResponse);
      await device.context.unroute('**/auth/refresh');
    }
  }

  it('logs in through the form', async () => {
    await tab1.goto('/');
    await state(tab1, 'signed-out');
    await shot(tab1, '01-login-form');

    await tab1.fill('#username', 'alice');
    await tab1.fill('#password', 'not-her-password');
    await tab1.click('#login-form button[type="submit"]');
    await tab1.waitForSelector('#login-error:text("Invalid username or password")');
    await shot(tab1, '02-wrong-password');

    await signIn(tab1, 'alice');
    expect(await tab1.textContent('#me-user')).toBe('alice');
    expect(await tab1.textContent('#me-role')).toBe('user');
    expect(await tab1.locator('#sessions-body tr').count()).toBe(1);
    expect(await tab1.textContent('#sessions-body tr.current .badge')).toBe('this device');
    expect(await userSessionIds('alice')).toHaveLength(1);
    await shot(tab1, '03-signed-in');
  });

  it('keeps both tokens in HttpOnly cookies the script cannot read', async () => {
    // On a busy machine the 2 s access cookie may be gone since the login: read a fresh one.
    await accessExpired(a);
    await act(tab1, '#whoami');
    const cookies = await a.context.cookies();
    const tokens = cookies.filter((c) => ['access_token', 'refresh_token'].includes(c.name));
    expect(tokens.map((c) => [c.name, c.httpOnly, c.secure]).sort()).toEqual([
      ['access_token', true, true],
      ['refresh_token', true, true],
    ]);
    const visible = await tab1.evaluate<string>('document.cookie');
    expect(visible).not.toContain('access_token');
    expect(visible).not.toContain('refresh_token');
    const stored = await tab1.evaluate<string>(
      'JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])',
    );
    for (const token of tokens) expect(stored).not.toContain(token.value.split('.')[2]);
  });

  it('recovers by itself once the access token has expired', async () => {
    const refreshToken = await cookie(a, 'refresh_token');
    const before = a.refreshes.length;
    await accessExpired(a);

    await act(tab1, '#whoami');
    expect(await stateOf(tab1)).toBe('signed-in');
    expect(await tab1.textContent('#me-user')).toBe('alice');
    // The server saw a refresh: it answered 200 and rotated the refresh cookie.
    expect(a.refreshes.slice(before)).toContain(200);
    expect(a.refreshes.slice(before)).not.toContain(401);
    expect(await cookie(a, 'refresh_token')).not.toBe(refreshToken);
    await shot(tab1, '04-recovered-after-expiry');
  });

  it('still refreshes by itself in a browser without Web Locks', async () => {
    const tab = await a.context.newPage();
    await tab.addInitScript('Object.defineProperty(navigator, "locks", { value: undefined })');
    await tab.goto('/');
    await state(tab, 'signed-in');
    expect(await tab.evaluate<boolean>('navigator.locks === undefined')).toBe(true);
    const before = a.refreshes.length;
    await accessExpired(a);

    await act(tab, '#whoami');
    expect(await stateOf(tab)).toBe('signed-in');
    expect(a.refreshes.slice(before)).toContain(200);
    expect(a.refreshes.slice(before)).not.toContain(401);
    await tab.close();
  });

  it('shares one refresh between two tabs, so neither trips reuse detection', async () => {
    tab2 = await a.context.newPage();
    await tab2.goto('/');
    await state(tab2, 'signed-in');
    const [sessionId] = await userSessionIds('alice');
    const before = a.refreshes.length;
    await accessExpired(a);

    // Both tabs call with the expired token at once and both need a refresh.
    await Promise.all([act(tab1, '#whoami'), act(tab2, '#whoami')]);

    expect([await stateOf(tab1), await stateOf(tab2)]).toEqual(['signed-in', 'signed-in']);
    const statuses = a.refreshes.slice(before);
    expect(statuses).toContain(200);
    expect(statuses).not.toContain(401);
    // The session survived (a reused refresh token would have revoked it).
    expect(await userSessionIds('alice')).toEqual([sessionId]);
    await shot(tab1, '05-two-tabs-first');
    await shot(tab2, '05-two-tabs-second');
  });

  it('makes one refresh for two tabs whose calls fail at once: the second reuses it', async () => {
    const [sessionId] = await userSessionIds('alice');
    const race = await reloadAtOnceAfterExpiry(a, tab1, tab2);

    expect(race.refused).toEqual(['tab 1', 'tab 2']); // both needed a refresh...
    expect(race.refreshRequests).toBe(1); // ...one refresh served both...
    expect(race.refreshes).toEqual([200]);
    expect(race.listed).toEqual(['tab 1', 'tab 2']); // ...and both got their list
    for (const tab of [tab1, tab2]) {
      expect(await stateOf(tab)).toBe('signed-in');
      expect(await tab.textContent('#status')).toBe('');
      expect(await tab.locator('#sessions-body tr.current').count()).toBe(1);
    }
    expect(await userSessionIds('alice')).toEqual([sessionId]);
  });

  it("reuses the other tab's refresh even when the news of it is late", async () => {
    // Chromium can grant the Web Lock to the second tab before the first tab's localStorage
    // write and BroadcastChannel message reach it. Here they never do, in either tab, so that
    // whichever tab gets the lock second is surely in that case.
    const late = [await a.context.newPage(), await a.context.newPage()];
    for (const tab of late) {
      await tab.addInitScript(
        'Storage.prototype.getItem = () => null;' +
          'Object.defineProperty(window, "BroadcastChannel", { value: undefined });',
      );
      await tab.goto('/');
      await state(tab, 'signed-in');
    }
    try {
      const [sessionId] = await userSessionIds('alice');
      const race = await reloadAtOnceAfterExpiry(a, late[0], late[1]);

      expect(race.refused).toEqual(['tab 1', 'tab 2']);
      expect(race.refreshRequests).toBe(1);
      expect(race.refreshes).toEqual([200]);
      expect(race.listed).toEqual(['tab 1', 'tab 2']);
      for (const tab of late) {
        expect(await stateOf(tab)).toBe('signed-in');
        expect(await tab.locator('#sessions-body tr.current').count()).toBe(1);
      }
      expect(await userSessionIds('alice')).toEqual([sessionId]);
    } finally {
      for (const tab of late) await tab.close();
    }
  });

  it('shows a hostile user agent as text in the sessions list', async () => {
    b = await openDevice(HOSTILE_AGENT);
    bTab = await b.context.newPage();
    await bTab.goto('/');
    await signIn(bTab, 'alice');

    await tab1.click('#reload-sessions');
    await tab1.waitForSelector('#sessions-body tr:not(.current)');
    const other = tab1.locator('#sessions-body tr:not(.current)');
    expect(await other.locator('.agent').textContent()).toBe(HOSTILE_AGENT);
    expect(await tab1.locator('#sessions-body img, #sessions-body script').count()).toBe(0);
    expect(await tab1.evaluate<string | undefined>('document.body.dataset.xss')).toBeUndefined();
    await shot(tab1, '06-two-devices');
  });

  it('revokes the other device, which ends up on the login form at its next call', async () => {
    const other = tab1.locator('#sessions-body tr:not(.current)');
    const revokedId = await other.getAttribute('data-session-id');
    // The whole action: the status shows before the list has been reloaded.
    await act(tab1, '#sessions-body tr:not(.current) button.revoke');
    expect(await tab1.textContent('#status')).toBe('Session revoked.');
    expect(await tab1.locator('#sessions-body tr').count()).toBe(1);
    expect(await userSessionIds('alice')).not.toContain(revokedId);
    await shot(tab1, '07-revoked-other-device');

    const before = b.refreshes.length;
    await bTab.click('#whoami');
    await state(bTab, 'signed-out');
    expect(await bTab.isVisible('#login-form')).toBe(true);
    expect(await bTab.textContent('#status')).toBe('Your session has ended: sign in again.');
    expect(await bTab.textContent('#sessions-body')).toBe('');
    expect(b.refreshes.slice(before)).toEqual([401]);
    await shot(bTab, '08-revoked-device-signed-out');
  });

  it('asks for the password again before a sensitive action on an old session', async () => {
    await tab1.bringToFront();
    await act(tab1, '#sensitive');
    expect(await tab1.textContent('#sensitive-result')).toMatch(/^Done at /); // just logged in
    const [sessionId] = await userSessionIds('alice');
    // The last password check was ten minutes ago: older than the route's 5 minutes.
    const tenMinutesAgo = Date.now() - 10 * 60_000;
    expect(await t.app.get(SessionRepository).markFresh(sessionId, tenMinutesAgo, Date.now())).toBe(
      true,
    );

    const before = a.calls.length;
    const refused = tab1.waitForResponse(
      (response) =>
        new URL(response.url()).pathname === '/account/sensitive' && response.status() === 403,
    );
    await act(tab1, '#sensitive');
    expect(await (await refused).json()).toMatchObject({
      statusCode: 403,
      code: SESSION_NOT_FRESH,
    });
    expect(await tab1.isVisible('#reauth-form')).toBe(true);
    expect(await tab1.textContent('#sensitive-result')).toBe('');
    await shot(tab1, '09-step-up-asks-password');

    await tab1.fill('#reauth-password', 'not-her-password');
    await act(tab1, '#reauth-form button[type="submit"]');
    expect(await tab1.textContent('#reauth-error')).toBe('Wrong password.');
    expect(await stateOf(tab1)).toBe('signed-in');
    const stale = await t.app.get(SessionService).get(sessionId);
    expect(stale?.authenticatedAt.getTime()).toBe(tenMinutesAgo);

    await tab1.fill('#reauth-password', PASSWORDS.alice);
    await act(tab1, '#reauth-form button[type="submit"]');
    expect(await tab1.isVisible('#reauth-form')).toBe(false);
    expect(await tab1.textContent('#sensitive-result')).toMatch(/^Done at /);
    // (A call may also answer 401 once on the way when the 2 s access token has just expired.)
    const calls = a.calls.slice(before).filter((call) => /sensitive|reauth/.test(call));
    expect(calls.filter((call) => call === 'POST /auth/reauth 204')).toHaveLength(1);
    expect(calls.at(-1)).toBe('POST /account/sensitive 200');
    const fresh = await t.app.get(SessionService).get(sessionId);
    expect(fresh?.authenticatedAt.getTime()).toBeGreaterThan(tenMinutesAgo);
    await shot(tab1, '10-step-up-done');
  });

  it('logs out: both tabs of the browser show the login form', async () => {
    const [sessionId] = await userSessionIds('alice');
    await tab1.bringToFront();
    await tab1.click('#logout');
    await state(tab1, 'signed-out');
    await state(tab2, 'signed-out'); // told by the first tab, without a call of its own
    expect(await userSessionIds('alice')).not.toContain(sessionId);
    expect(await cookie(a, 'access_token')).toBeUndefined();
    expect(await cookie(a, 'refresh_token')).toBeUndefined();
    await shot(tab1, '11-signed-out');
  });

  it('logs out everywhere: the other device ends up on the login form', async () => {
    await signIn(tab1, 'alice');
    await state(tab2, 'signed-in'); // the other tab follows the sign-in
    await signIn(bTab, 'alice');
    expect(await userSessionIds('alice')).toHaveLength(2);

    await tab1.click('#logout-all');
    await state(tab1, 'signed-out');
    expect(await tab1.textContent('#status')).toBe('You signed out on every device.');
    expect(await userSessionIds('alice')).toEqual([]);
    await bTab.click('#whoami');
    await state(bTab, 'signed-out');
    await shot(bTab, '12-signed-out-everywhere');
  });

  it('stays signed in when the refresh answers 429, and says to try again', async () => {
    const device = await openDevice(undefined, limited.url);
    const tab = await device.context.newPage();
    // The first visit's refresh (no cookie yet, 401) uses the minute's one refresh.
    await tab.goto('/');
    await signIn(tab, 'bob');
    expect(device.refreshes).toEqual([401]);
    const refreshToken = await cookie(device, 'refresh_token');
    await accessExpired(device, limited.url);

    await act(tab, '#whoami');
    expect(device.refreshes).toEqual([401, 429]);
    expect(await stateOf(tab)).toBe('signed-in');
    expect(await tab.isVisible('#login-form')).toBe(false);
    expect(await tab.textContent('#status')).toBe('Refresh failed (429): try again shortly');
    expect(await tab.getAttribute('#status', 'class')).toBe('error');
    expect(await tab.textContent('#me-user')).toBe('bob');
    // Nothing was thrown away: the refresh cookie and the session are still there.
    expect(await cookie(device, 'refresh_token')).toBe(refreshToken);
    expect(device.calls.filter((call) => call.includes('/auth/logout'))).toEqual([]);
    await shot(tab, '13-refresh-rate-limited');

    // A fresh visit whose first refresh is refused: the login form and the error, not a blank page.
    await tab.reload();
    await state(tab, 'signed-out');
    expect(device.refreshes).toEqual([401, 429, 429]);
    expect(await tab.isVisible('#login-form')).toBe(true);
    expect(await tab.textContent('#status')).toBe('Refresh failed (429): try again shortly');
    expect(await tab.getAttribute('#status', 'class')).toBe('error');
    expect(await cookie(device, 'refresh_token')).toBe(refreshToken);
    await shot(tab, '14-first-visit-rate-limited');
  });

  it('breaks no Content-Security-Policy rule and throws no error in any page', async () => {
    expect(devices.flatMap((device) => device.problems)).toEqual([]);
    // The watch works: an inline style, as an injected one would be, is refused and reported.
    await tab1.evaluate(
      "document.head.append(Object.assign(document.createElement('style'), { textContent: 'h1{}' }))",
    );
    await waitFor(
      async () => a.problems.length,
      (count) => count > 0,
      { what: 'the CSP violation report' },
    );
    expect(a.problems.join('\n')).toMatch(/inline style.*Content Security Policy/);
  });
});
