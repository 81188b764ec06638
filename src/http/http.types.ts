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
