import type { IncomingHttpHeaders } from 'node:http';

/** The parts of an HTTP request the module reads (Express; Fastify shares the shape). */
export interface CookieRequest {
  method?: string;
  headers: IncomingHttpHeaders;
  /** Header lines as received; Node keeps only the first of repeated `Authorization` lines. */
  rawHeaders?: string[];
  /** Fastify's request wraps Node's, which has the `rawHeaders`. */
  raw?: { rawHeaders?: string[] };
  /** Set by cookie-parser when the app installs it; never read: the module parses `Cookie`. */
  cookies?: Record<string, unknown>;
  body?: unknown;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** The parts of an HTTP response the module writes. */
export interface CookieResponse {
  getHeader?(name: string): number | string | string[] | undefined;
  setHeader?(name: string, value: number | string | readonly string[]): unknown;
  header?(name: string, value: string): unknown;
}

/** A token found on a request, and where: what the same-site rule and the verifier act on. */
export interface SessionCredential {
  token: string;
  /**
   * `header`: `Authorization: Bearer`; `cookie`: a token cookie (sent by browsers on their own,
   * so cookie-authenticated writes get the same-site check); `body`: the refresh body field.
   */
  source: 'header' | 'cookie' | 'body';
}

/** The one error body: `{ statusCode, message }`, plus `code` where a feature defines one. */
export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  /** A stable machine-readable code (`SESSION_NOT_FRESH`), when the exception carries one. */
  code?: string;
}
