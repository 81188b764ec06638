import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { SessionCrossSiteException } from '../session.exceptions.js';
import type { ErrorBody } from './http.types.js';
import { refuseSocketMessage } from './socket-refusal.js';

/**
 * Answers every `HttpException` with exactly `{ statusCode, message }`. Nest's built-in exceptions
 * add an `error` field, and the JSON body parser's error quotes the start of the body it could not
 * parse (perhaps a password or a refresh token): both are rewritten. Other errors are left to
 * Nest's generic 500. Register it app-wide: `{ provide: APP_FILTER, useClass: SafeErrorFilter }`.
 * In a GraphQL resolver it hands the exception back to the driver. Nest's global filters do not
 * reach gateways: put `@UseFilters(SafeErrorFilter)` on one to answer a refused message with an
 * `exception` event `{ status: 'error', statusCode, message }`, closing the socket on 401 and on
 * a cross-site handshake.
 */
@Catch(HttpException)
export class SafeErrorFilter implements ExceptionFilter<HttpException> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: HttpException, host: ArgumentsHost): HttpException | undefined {
    // Handed back, the exception becomes the resolver's GraphQL error (Apollo's driver maps 401
    // to UNAUTHENTICATED and 403 to FORBIDDEN); there is no HTTP response to write here.
    if (host.getType<string>() === 'graphql') return exception;
    const statusCode = exception.getStatus();
    const body: ErrorBody = {
      statusCode,
      ...errorCode(exception),
      message: errorMessage(exception, statusCode),
    };
    if (host.getType() === 'ws') {
      const refused = statusCode === 401 || exception instanceof SessionCrossSiteException;
      refuseSocketMessage(host.switchToWs().getClient(), body, refused);
      return undefined;
    }
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    if (httpAdapter.isHeadersSent(response)) return undefined;
    httpAdapter.reply(response, body, statusCode);
    return undefined;
  }
}

function errorMessage(exception: HttpException, statusCode: number): string | string[] {
  if (exception.cause instanceof SyntaxError) return 'Malformed JSON body';
  if (exception.cause instanceof URIError) return 'Malformed URL';
  const fastifyCode = fastifyErrorCode(exception.cause);
  if (fastifyCode !== undefined && MALFORMED_JSON_CODES.has(fastifyCode)) {
    return 'Malformed JSON body';
  }
  // body-parser's own errors (413, 415, …) quote what the client sent, e.g. its charset; and
  // Fastify's have their own wording: both get the status text, as on either platform.
  if (isHttpError(exception.cause) || fastifyCode !== undefined) {
    return STATUS_CODES[statusCode] ?? 'Error';
  }
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? response.message
      : response;
  // Nest 11 turns body-parser's and Express's 400s into a BadRequestException without the cause,
  // with the original message (which quotes the body or the path): known by their wording.
  if (typeof message === 'string' && exception.cause === undefined && statusCode === 400) {
    if (JSON_PARSE_MESSAGE.test(message)) return 'Malformed JSON body';
    if (message.startsWith("Failed to decode param '")) return 'Malformed URL';
  }
  // Nest's "Cannot GET /path?query" would echo the query string, where a token may have been put.
  if (typeof message === 'string') return message.replace(/^(Cannot [A-Z]+ [^?]*)\?.*$/s, '$1');
  if (Array.isArray(message) && message.every((item) => typeof item === 'string')) return message;
  return STATUS_CODES[statusCode] ?? 'Error';
}

/** The messages of `JSON.parse`'s `SyntaxError` (V8, Node 20 and later). */
const JSON_PARSE_MESSAGE =
  /(?:in|after) JSON at position \d|is not valid JSON|^Unexpected end of JSON input$/;

/** A code like `SESSION_NOT_FRESH`: upper-case letters, digits and `_`, at most 64 characters. */
const SAFE_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** `{ code }` when the exception's response carries a safe string code; nothing otherwise. */
function errorCode(exception: HttpException): { code?: string } {
  // A wrapped parser error (body-parser, Fastify) describes what the client sent: no code from it.
  if (exception.cause !== undefined) return {};
  const response = exception.getResponse();
  if (typeof response !== 'object' || response === null || !('code' in response)) return {};
  const { code } = response;
  return typeof code === 'string' && SAFE_CODE.test(code) ? { code } : {};
}

/** Fastify's errors for a JSON body it could not parse (or an empty one). */
const MALFORMED_JSON_CODES = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
]);

/** The `code` of one of Fastify's own errors (`FST_ERR_…`), which Nest wraps in an `HttpException`. */
function fastifyErrorCode(cause: unknown): string | undefined {
  if (!(cause instanceof Error) || cause.name !== 'FastifyError' || !('code' in cause)) {
    return undefined;
  }
  return typeof cause.code === 'string' ? cause.code : undefined;
}

/** An `http-errors` error, as body-parser throws them (it has `type` and `expose`). */
function isHttpError(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && 'expose' in cause && 'type' in cause;
}
