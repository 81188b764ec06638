// The sample page's script: no framework, no build step. The tokens live in HttpOnly cookies that
// this script cannot read; it calls the routes and renders what they answer, always as text.

// ---- Session-aware fetch (the README's "Sample page" recipe copies this part) ----

const REFRESH_LOCK = 'session-refresh';
const REFRESHED_AT = 'session-refreshed-at'; // localStorage: a time, never a token
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('session') : null;
let knownRefreshAt = 0; // last refresh by another tab that this tab heard of or saw work
let refreshInTab = null; // this tab's refresh in flight, when Web Locks are unavailable

channel?.addEventListener('message', (event) => {
  if (event.data?.type === 'refreshed') noteRefresh(Number(event.data.at) || 0);
});

function noteRefresh(at) {
  knownRefreshAt = Math.max(knownRefreshAt, at);
}

/** Whether some tab of this browser refreshed the session after `time` (ms since the epoch). */
function refreshedSince(time) {
  let stored = 0;
  try {
    stored = Number(localStorage.getItem(REFRESHED_AT)) || 0;
  } catch {
    // storage disabled: the BroadcastChannel message is all we have
  }
  return Math.max(stored, knownRefreshAt) > time;
}

/** `POST /auth/refresh`, announced to the other tabs: true with fresh tokens, false if gone. */
async function refresh() {
  const response = await fetch('/auth/refresh', { method: 'POST', credentials: 'same-origin' });
  if (response.status === 401 || response.status === 403) return false;
  if (!response.ok) throw new Error(`Refresh failed (${response.status}): try again shortly`);
  const at = Date.now();
  try {
    localStorage.setItem(REFRESHED_AT, String(at));
  } catch {
    // storage disabled: the message below still reaches the other tabs
  }
  channel?.postMessage({ type: 'refreshed', at });
  return true;
}

/**
 * Run while holding the Web Lock: reuses the refresh of a tab that held it before, or refreshes.
 * Resolves to the response of `call` when it now gets through, otherwise to true when the session
 * has fresh tokens, false when it is gone.
 */
async function refreshUnlessDone(failedCallSentAt, call) {
  if (refreshedSince(failedCallSentAt)) return true;
  // No news is no proof: the previous holder's localStorage write and BroadcastChannel message
  // reach this tab asynchronously, and Chromium can grant the lock before they arrive. The
  // cookies are shared and always current, so asking again tells for sure: if the call gets
  // through now, another tab has refreshed, and refreshing again would rotate for nothing.
  const retried = await call();
  if (retried.status !== 401) {
    noteRefresh(Date.now()); // for refreshedSince: some tab refreshed before now
    return retried;
  }
  return refresh();
}

/**
 * Refreshes the session once for every tab of this browser: the Web Lock lets one tab at a time
 * in, and a tab that gets the lock after another tab's refresh reuses it. Without Web Locks (old
 * browsers, plain-http origins other than localhost), one refresh per tab at a time, unless
 * another tab's is known, and the server's reuse grace covers two tabs that still race.
 */
function refreshSession(failedCallSentAt, call) {
  if (navigator.locks?.request) {
    return navigator.locks.request(REFRESH_LOCK, () => refreshUnlessDone(failedCallSentAt, call));
  }
  refreshInTab ??= refreshUnlessKnown(failedCallSentAt).finally(() => {
    refreshInTab = null;
  });
  return refreshInTab;
}

/** Without Web Locks: a refresh, unless another tab's since the failed call is already known. */
async function refreshUnlessKnown(failedCallSentAt) {
  return refreshedSince(failedCallSentAt) || refresh();
}

/** `fetch` with the session's cookies; on 401, one refresh shared by all tabs and one retry. */
async function sessionFetch(url, init = {}) {
  const sentAt = Date.now();
  const call = () => fetch(url, { credentials: 'same-origin', ...init });
  const response = await call();
  if (response.status !== 401) return response;
  const outcome = await refreshSession(sentAt, call);
  if (typeof outcome !== 'boolean') return outcome; // retried under the lock: it got through
  return outcome ? call() : response;
}

// ---- The page ----

const $ = (id) => document.getElementById(id);

/** Thrown by `api()` once the session is gone and the login form is showing. */
class SignedOut extends Error {}
let wasSignedIn = false; // on a first visit the login form needs no "session ended" notice

/** A call of the app's API; a 401 that survived the refresh shows the login form. */
async function api(method, path, body) {
  const init = { method };
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await sessionFetch(path, init);
  if (response.status === 401) {
    showSignedOut(wasSignedIn ? 'Your session has ended: sign in again.' : '');
    throw new SignedOut();
  }
  return response;
}

async function json(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** The message of an error body `{ statusCode, message }` (a list for validation errors). */
async function errorText(response) {
  const body = await json(response);
  const message = Array.isArray(body?.message) ? body.message.join(', ') : body?.message;
  return typeof message === 'string' ? message : `HTTP ${response.status}`;
}

function setStatus(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.className = text ? kind : '';
}

function showSignedOut(message = '') {
  $('account').hidden = true;
  $('login').hidden = false;
  $('sessions-body').replaceChildren();
  for (const id of ['me-user', 'me-role', 'me-session', 'sensitive-result']) $(id).textContent = '';
  $('reauth-form').hidden = true;
  document.body.dataset.state = 'signed-out';
  setStatus(message);
}

function showSignedIn(me) {
  $('me-user').textContent = me.userId;
  $('me-role').textContent = me.role ?? '—';
  $('me-session').textContent = `${me.sessionId.slice(0, 24)}…`;
  $('login').hidden = true;
  $('account').hidden = false;
  document.body.dataset.state = 'signed-in';
  wasSignedIn = true;
}

/** A short name for a user agent ("Chrome on Linux"); the full string goes next to it. */
function deviceName(userAgent) {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : /^curl\//.test(userAgent)
            ? 'curl'
            : 'Browser';
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function time(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** One row of the sessions table. Every value goes in as text: a user agent is anyone's string. */
function sessionRow(session) {
  const row = document.createElement('tr');
  row.dataset.sessionId = session.id;
  if (session.current) row.className = 'current';

  const device = cell(deviceName(session.userAgent));
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'this device';
    device.append(' ', badge);
  }
  const agent = document.createElement('div');
  agent.className = 'agent';
  agent.textContent = session.userAgent ?? '';
  device.append(agent);

  const revoke = document.createElement('button');
  revoke.type = 'button';
  revoke.className = 'revoke';
  revoke.textContent = session.current ? 'Sign out' : 'Revoke';
  revoke.addEventListener('click', () => run(() => revokeSession(session)));
  const actions = cell('');
  actions.append(revoke);

  row.append(
    device,
    cell(session.ip ?? '', 'mono'),
    cell(time(session.createdAt)),
    cell(time(session.lastSeenAt)),
    actions,
  );
  return row;
}

async function loadSessions() {
  const response = await api('GET', '/auth/sessions');
  if (!response.ok) throw new Error(await errorText(response));
  const { sessions } = await response.json();
  $('sessions-body').replaceChildren(...sessions.map(sessionRow));
}

async function loadAccount() {
  const response = await api('GET', '/me');
  if (!response.ok) throw new Error(await errorText(response));
  showSignedIn(await response.json());
  await loadSessions();
}

async function login(event) {
  event.preventDefault();
  $('login-error').textContent = '';
  // The answer's body holds an access token for non-browser clients: this page never reads it.
  const response = await fetch('/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: $('username').value, password: $('password').value }),
  });
  if (!response.ok) {
    $('login-error').textContent = await errorText(response);
    return;
  }
  $('password').value = '';
  channel?.postMessage({ type: 'signed-in' });
  setStatus('');
  await loadAccount();
}

async function revokeSession(session) {
  const response = await api('DELETE', `/auth/sessions/${encodeURIComponent(session.id)}`);
  if (response.status !== 204) throw new Error(await errorText(response));
  if (session.current) {
    channel?.postMessage({ type: 'signed-out' });
    showSignedOut('You signed out.');
    return;
  }
  setStatus('Session revoked.');
  await loadSessions();
}

async function logout(path, message) {
  const response = await api('POST', path);
  if (response.status !== 204) throw new Error(await errorText(response));
  channel?.postMessage({ type: 'signed-out' });
  showSignedOut(message);
}

async function sensitiveAction() {
  $('sensitive-result').textContent = '';
  const response = await api('POST', '/account/sensitive');
  if (response.ok) {
    $('reauth-form').hidden = true;
    $('sensitive-result').textContent = `Done at ${new Date().toLocaleTimeString()}.`;
    return;
  }
  const body = await json(response);
  if (response.status === 403 && body?.code === 'SESSION_NOT_FRESH') {
    $('reauth-error').textContent = '';
    $('reauth-form').hidden = false;
    $('reauth-password').focus();
    return;
  }
  throw new Error(typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`);
}

/** Re-enters the password (`POST /auth/reauth`), then runs the sensitive action again. */
async function reauthenticate(event) {
  event.preventDefault();
  const send = () =>
    fetch('/auth/reauth', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: $('reauth-password').value }),
    });
  const sentAt = Date.now();
  let response = await send();
  if (response.status === 401) {
    // A wrong password, or an expired access token: only a retry after a refresh tells them apart.
    // A password is never sent twice unless the session really got new tokens in between.
    await api('GET', '/me');
    if (refreshedSince(sentAt)) response = await send();
  }
  if (response.status !== 204) {
    $('reauth-error').textContent =
      response.status === 401 ? 'Wrong password.' : await errorText(response);
    return;
  }
  $('reauth-password').value = '';
  $('reauth-form').hidden = true;
  await sensitiveAction();
}

let actionsDone = 0; // counted on <body data-done>, so that tests know when an action is over

/** Runs a page action: a signed-out session is already handled, other failures are shown. */
async function run(action) {
  setStatus('');
  try {
    await action();
  } catch (error) {
    if (!(error instanceof SignedOut)) setStatus(error?.message ?? String(error), 'error');
  } finally {
    document.body.dataset.done = String(++actionsDone);
  }
}

channel?.addEventListener('message', (event) => {
  // Another tab signed in or out: this one follows (they share the cookies).
  if (event.data?.type === 'signed-out') showSignedOut('You signed out in another tab.');
  if (event.data?.type === 'signed-in') run(loadAccount);
});

$('login-form').addEventListener('submit', (event) => run(() => login(event)));
$('reauth-form').addEventListener('submit', (event) => run(() => reauthenticate(event)));
$('reauth-cancel').addEventListener('click', () => {
  $('reauth-form').hidden = true;
});
$('whoami').addEventListener('click', () => run(loadAccount));
$('reload-sessions').addEventListener('click', () => run(loadSessions));
$('logout').addEventListener('click', () => run(() => logout('/auth/logout', 'You signed out.')));
$('logout-all').addEventListener('click', () =>
  run(() => logout('/auth/logout-all', 'You signed out on every device.')),
);
$('sensitive').addEventListener('click', () => run(sensitiveAction));

document.body.dataset.state = 'loading';
run(loadAccount).then(() => {
  // The session could not be checked (429, 503, network): offer the form, not a blank page.
  if (document.body.dataset.state !== 'loading') return;
  const failure = $('status').textContent;
  showSignedOut();
  setStatus(failure, 'error');
});
