import { Inject, Injectable } from '@nestjs/common';
import { serialize, type SerializeOptions } from 'cookie';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import type { IssuedTokens } from '../session.types.js';
import type { CookieResponse } from './http.types.js';

/** The one place that writes the session cookies. */
@Injectable()
export class SessionCookies {
  constructor(@Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig) {}

  /** Sets both cookies, each with `Max-Age` equal to its token's remaining life. */
  set(response: CookieResponse, tokens: IssuedTokens, now: number): void {
    const { cookies } = this.config;
    if (!cookies.enabled) return;
    append(response, [
      serialize(cookies.accessName, tokens.accessToken, {
        ...this.attributes('/'),
        maxAge: secondsUntil(tokens.accessTokenExpiresAt, now),
      }),
      serialize(cookies.refreshName, tokens.refreshToken, {
        ...this.attributes(cookies.refreshPath),
        maxAge: secondsUntil(tokens.refreshTokenExpiresAt, now),
      }),
    ]);
  }

  /** Clears both cookies (`Max-Age=0`). */
  clear(response: CookieResponse): void {
    const { cookies } = this.config;
    if (!cookies.enabled) return;
    append(response, [
      serialize(cookies.accessName, '', { ...this.attributes('/'), maxAge: 0 }),
      serialize(cookies.refreshName, '', { ...this.attributes(cookies.refreshPath), maxAge: 0 }),
    ]);
  }

  private attributes(path: string): SerializeOptions {
    const { cookies } = this.config;
    return {
      path,
      httpOnly: true,
      secure: cookies.secure,
      sameSite: cookies.sameSite,
      ...(cookies.domain ? { domain: cookies.domain } : {}),
    };
  }
}

function secondsUntil(when: Date, now: number): number {
  return Math.max(0, Math.floor((when.getTime() - now) / 1000));
}

/** Appends Set-Cookie values on a Node/Express response, or a Fastify reply. */
function append(response: CookieResponse, values: string[]): void {
  if (typeof response.getHeader === 'function' && typeof response.setHeader === 'function') {
    const existing = response.getHeader('Set-Cookie');
    const previous =
      existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    response.setHeader('Set-Cookie', [...previous, ...values]);
    return;
  }
  if (typeof response.header === 'function') {
    for (const value of values) response.header('Set-Cookie', value);
  }
}
