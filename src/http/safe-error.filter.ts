import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';

/** The one error body: `{ statusCode, message }`. */
export interface ErrorBody {
  statusCode: number;
  message: string | string[];
}

/**
 * Answers every `HttpException` with exactly `{ statusCode, message }`. Nest's built-in exceptions
 * add an `error` field, and the JSON body parser's error quotes the start of the body it could not
 * parse (perhaps a password or a refresh token): both are rewritten. Other errors are left to
 * Nest's generic 500. Register it app-wide: `{ provide: APP_FILTER, useClass: SafeErrorFilter }`.
 */
@Catch(HttpException)
export class SafeErrorFilter implements ExceptionFilter<HttpException> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    if (httpAdapter.isHeadersSent(response)) return;
    const statusCode = exception.getStatus();
    const body: ErrorBody = { statusCode, message: errorMessage(exception, statusCode) };
    httpAdapter.reply(response, body, statusCode);
  }
}

function errorMessage(exception: HttpException, statusCode: number): string | string[] {
  if (exception.cause instanceof SyntaxError) return 'Malformed JSON body';
  if (exception.cause instanceof URIError) return 'Malformed URL';
  // body-parser's own errors (413, 415, …) quote what the client sent, e.g. its charset.
  if (isHttpError(exception.cause)) return STATUS_CODES[statusCode] ?? 'Error';
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? response.message
      : response;
  // Nest's "Cannot GET /path?query" would echo the query string, where a token may have been put.
  if (typeof message === 'string') return message.replace(/^(Cannot [A-Z]+ [^?]*)\?.*$/s, '$1');
  if (Array.isArray(message) && message.every((item) => typeof item === 'string')) return message;
  return STATUS_CODES[statusCode] ?? 'Error';
}

/** An `http-errors` error, as body-parser throws them (it has `type` and `expose`). */
function isHttpError(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && 'expose' in cause && 'type' in cause;
}
