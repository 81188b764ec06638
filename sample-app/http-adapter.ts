import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface.js';
import {
  BadRequestException,
  UnsupportedMediaTypeException,
  type DynamicModule,
  type INestApplication,
  type NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyError, FastifyReply } from 'fastify';
import type { HttpAdapterName } from './config.js';

/** The largest request body on either platform: body-parser's default, 100 KiB. */
export const BODY_LIMIT_BYTES = 100 * 1024;

/** A Content-Type that Fastify can parse: `type/subtype`, then parameters after a `;`. */
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(?:;|$)/;

/**
 * The Nest app of `module` on `adapter` with `cors`, not yet initialised. The Fastify packages are
 * imported only for `fastify`, so an Express app runs without them installed (and vice versa).
 */
export function createOnAdapter(
  adapter: HttpAdapterName,
  module: DynamicModule,
  options: NestApplicationOptions,
  cors: CorsOptions,
): Promise<INestApplication> {
  return adapter === 'fastify'
    ? createFastifyApp(module, options, cors)
    : createExpressApp(module, options, cors);
}

async function createExpressApp(
  module: DynamicModule,
  options: NestApplicationOptions,
  cors: CorsOptions,
): Promise<INestApplication> {
  // Only the JSON parser below: Nest's default adds a urlencoded one that every request passes.
  const app = await NestFactory.create<NestExpressApplication>(module, {
    ...options,
    bodyParser: false,
  });
  app.disable('x-powered-by');
  // No ETag: answers of a session API are per caller and never revalidated (Fastify sends none).
  app.set('etag', false);
  // Before the body parser, so that its errors (400, 413, 415) carry the CORS headers too, as on
  // Fastify: an allowed origin can read why its request was refused.
  app.enableCors(cors);
  // Compressed bodies get a 415, as on Fastify (which has no decompressor built in).
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES, inflate: false });
  // No cookie parser: the module reads its cookies from the raw header, and the sample has none
  // of its own.
  return app;
}

/**
 * Fastify, set up to keep Express's HTTP contract: the same body limit; routes matched regardless
 * of case and of a trailing slash, with path parameters of any length; JSON bodies parsed as
 * body-parser does (objects and arrays only, `__proto__` keys dropped, `{}` for an empty body);
 * a body of any type but JSON or a form, or of no valid type, left unread (no 415) for the
 * route to judge; and a malformed URL answered without quoting it. Unlike body-parser, it
 * answers JSON in UTF-32 (a charset Node cannot decode) with a 415.
 */
async function createFastifyApp(
  module: DynamicModule,
  options: NestApplicationOptions,
  cors: CorsOptions,
): Promise<INestApplication> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Express has no limit of its own on a path parameter (Fastify's is 100 characters, then 414);
    // Node refuses request heads over 16 KiB anyway.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16_384 },
    // A request Node's parser refuses gets Node's own answer, as on Express (not Fastify's JSON).
    clientErrorHandler: answerAsNode,
    // Fastify's own answer to a URL it cannot decode would quote the URL (a token may be in it).
    frameworkErrors: (error: FastifyError, _request: unknown, reply: FastifyReply) => {
      const statusCode = error.code === 'FST_ERR_BAD_URL' ? 400 : (error.statusCode ?? 500);
      const message = statusCode === 400 ? 'Malformed URL' : STATUS_CODES[statusCode];
      void reply.code(statusCode).send({ statusCode, message });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, options);
  // Every OPTIONS is a preflight, as with Express's `cors`: @fastify/cors's strict mode would
  // answer one without `Access-Control-Request-Method` with a text/plain 400.
  app.enableCors({ ...(cors as FastifyCorsOptions), strictPreflight: false });
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('remove', 'remove');
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    const { 'content-type': type = '', 'content-encoding': encoding = 'identity' } =
      request.headers;
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1].toLowerCase() ?? 'utf-8';
    const text = encoding.toLowerCase() === 'identity' ? decode(body, charset) : undefined;
    if (text === undefined) {
      done(new UnsupportedMediaTypeException(), undefined);
    } else if (text.length === 0) {
      done(null, {});
    } else if (!/^[ \t\n\r]*[{[]/.test(text)) {
      done(new BadRequestException('Malformed JSON body'), undefined); // body-parser's "strict"
    } else {
      parseJson(request as Parameters<typeof parseJson>[0], text, done);
    }
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    // Fastify answers 415 to a Content-Type it cannot parse ("", "json"); Express ignores it.
    const type = request.headers['content-type'];
    if (type !== undefined && !MEDIA_TYPE.test(type)) delete request.headers['content-type'];
    done();
  });
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume(); // read and dropped, as Express does with a type it has no parser for
    done(null, undefined);
  });
  return app;
}

/**
 * Node's answer to a request its HTTP parser refuses (`server.on('clientError')` unset): a status
 * line and `Connection: close`, no body, unless an answer is already on its way; then the socket
 * is closed.
 */
function answerAsNode(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
        ? 413
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error);
}

/**
 * The text of a body in a `utf-*` charset that Node decodes (a byte order mark dropped), else
 * `undefined`: body-parser also refuses charsets that do not start with `utf-`.
 */
function decode(body: Buffer, charset: string): string | undefined {
  if (!charset.startsWith('utf-')) return undefined;
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return undefined; // a label Node does not know, e.g. utf-32
  }
}
