import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';

/** The one error body of the app: `{ statusCode, message }`. */
export interface ErrorBody {
  statusCode: number;
  message: string | string[];
}

/**
 * Answers every `HttpException` with `{ statusCode, message }` only. Nest's built-in exceptions
 * add an `error` field, and a malformed JSON body would echo part of itself (perhaps a password)
 * in the parser's message: both are rewritten here. Other errors keep Nest's generic 500.
 */
@Catch(HttpException)
export class ErrorBodyFilter implements ExceptionFilter<HttpException> {
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
  // The body parser's SyntaxError quotes the start of the body it could not parse.
  if (exception.cause instanceof SyntaxError) return 'Malformed JSON body';
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? response.message
      : response;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((item) => typeof item === 'string')) {
    return message;
  }
  return STATUS_CODES[statusCode] ?? 'Error';
}
