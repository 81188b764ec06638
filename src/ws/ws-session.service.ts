import { HttpException, Injectable, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { SessionVerifier } from '../guards/session-verifier.js';
import { handshakeRequest, rememberHandshake } from '../http/execution-context-request.js';
import type { CookieRequest } from '../http/http.types.js';
import type { SessionPrincipal } from '../tokens/token.types.js';

/** A Socket.IO middleware: `(socket, next) => void`, as `server.use()` takes it. */
export type SocketMiddleware = (socket: object, next: (error?: Error) => void) => void;

/** The error a refused Socket.IO handshake gets: the client's `connect_error` sees both fields. */
export interface SocketConnectError extends Error {
  data: { statusCode: number; message: string };
}

/**
 * Checks a WebSocket connection at connect time, where guards do not run (`handleConnection`, or a
 * Socket.IO middleware): the handshake's Bearer header or access cookie, the same-site check on
 * the cookie, and a live session: the pipeline `AccessGuard` runs. Messages are then checked again by
 * `@UseGuards(AccessGuard)`, so a socket whose session is revoked is refused at its next message.
 * @example
 * ```ts
 * afterInit(server: Server) { server.use(this.wsSessions.middleware()); }      // Socket.IO
 * async handleConnection(client: WebSocket, request: IncomingMessage) {           // ws
 *   if (!(await this.wsSessions.authenticate(client, request))) client.close(1008);
 * }
 * ```
 */
@Injectable()
export class WsSessionService {
  private readonly logger = new Logger('WsSessionService');

  /** @internal */
  constructor(private readonly verifier: SessionVerifier) {}

  /**
   * The principal of a socket's handshake, or `undefined` when the connection must be refused
   * (no or invalid token, revoked session, cross-site cookie, store unavailable). Pass the upgrade
   * request when the client does not keep it (`@nestjs/platform-ws`: `handleConnection`'s second
   * argument); it is then also what `AccessGuard` reads for this client's messages.
   */
  async authenticate(
    client: object,
    request?: CookieRequest,
  ): Promise<SessionPrincipal | undefined> {
    try {
      return await this.verify(client, request);
    } catch (error) {
      if (error instanceof HttpException) return undefined;
      throw error;
    }
  }

  /**
   * A Socket.IO middleware that refuses a handshake `authenticate` would refuse: the client gets
   * `connect_error` with message `Unauthorized` (or `Cross-site request refused`, …) and
   * `data: { statusCode, message }`, and never connects.
   */
  middleware(): SocketMiddleware {
    return (socket, next) => {
      this.verify(socket).then(
        () => next(),
        (error: unknown) => {
          // A refusal is an answer; anything else is a fault to look at (the client gets a 500).
          // Only the error is logged, never the handshake (its headers hold the token).
          if (!(error instanceof HttpException)) {
            this.logger.error(
              'Unexpected error while checking a WebSocket handshake',
              error instanceof Error ? error.stack : String(error),
            );
          }
          next(connectError(error));
        },
      );
    };
  }

  private async verify(client: object, request?: CookieRequest): Promise<SessionPrincipal> {
    if (request) rememberHandshake(client, request);
    // A view of its own: only a guarded message sets the principal `@CurrentSession()` reads.
    return this.verifier.authenticate(handshakeRequest(client));
  }
}

function connectError(error: unknown): SocketConnectError {
  const statusCode = error instanceof HttpException ? error.getStatus() : 500;
  const message =
    error instanceof HttpException ? error.message : (STATUS_CODES[statusCode] ?? 'Error');
  return Object.assign(new Error(message), { data: { statusCode, message } });
}
