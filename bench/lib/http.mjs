// Small HTTP helpers of the bench (Node's fetch): logins and sequential requests.
/* global fetch */
export const BENCH_PASSWORD = 'bench-password-1'; // sample-app/bench/bench-users.service.ts

/** Logs in bench user `username`; resolves to its access and refresh tokens. */
export async function login(url, username) {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: BENCH_PASSWORD }),
  });
  if (response.status !== 200) throw new Error(`POST /auth/login answered ${response.status}`);
  const { accessToken } = await response.json();
  const refreshToken = refreshCookie(response.headers.getSetCookie());
  if (!accessToken || !refreshToken) throw new Error('POST /auth/login gave no tokens');
  return { accessToken, refreshToken };
}

/** One refresh; resolves to the new refresh token. */
export async function refresh(url, refreshToken) {
  const response = await fetch(`${url}/auth/refresh`, {
    method: 'POST',
    headers: { cookie: `refresh_token=${refreshToken}` },
  });
  await response.arrayBuffer();
  const next = refreshCookie(response.headers.getSetCookie());
  if (response.status !== 200 || !next) {
    throw new Error(`POST /auth/refresh answered ${response.status}`);
  }
  return next;
}

/** `GET path` with a Bearer token; throws unless 200. */
export async function getWithBearer(url, path, accessToken) {
  const response = await fetch(`${url}${path}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
}

/** The refresh token of a `Set-Cookie` list (or single value), if any. */
export function refreshCookie(setCookies) {
  for (const line of [setCookies ?? []].flat()) {
    const match = /^refresh_token=([^;]*)/.exec(line);
    if (match && match[1]) return match[1];
  }
  return undefined;
}
