import type { ExecutionContext } from '@nestjs/common';
import type { SessionPrincipal } from '../tokens/token.types.js';
import type { CookieRequest } from './http.types.js';

/** The request a guard reads the token from and puts the verified principal on. */
export type PrincipalRequest = CookieRequest & { user?: SessionPrincipal };

/**
 * Not an HTTP method: a socket message may change state like a POST, so the cookie's same-site
 * check applies to it (Cross-Site WebSocket Hijacking), although the handshake itself is a GET.
 */
export const SOCKET_METHOD = 'WEBSOCKET';

/** Upgrade requests registered for clients that do not keep theirs (`ws`), by client. */
const handshakes = new WeakMap<object, CookieRequest>();
/**
 * Request views of a socket, one per message handler: the handshake's headers, and the principal
 * the guard set for that handler. Per handler, so that a `@Public()` or unguarded handler never
 * reads a principal another handler's guard verified for an earlier message (whose session may
 * have been revoked, or whose token may have expired, since).
 */
const socketRequests = new WeakMap<object, Map<unknown, PrincipalRequest>>();

/**
 * The HTTP request behind an execution context, whatever the transport. Reads `@nestjs/graphql`
 * and `@nestjs/websockets` contexts by shape only, so neither package is ever imported.
 * - `http`: the request.
 * - `graphql`: `req` of the GraphQL context (the Apollo driver puts it there; Mercurius has
 *   `reply.request`).
 * - `ws`: the socket's handshake request (Socket.IO keeps it as `client.request`; for `ws` it must
 *   have been registered with `rememberHandshake`), seen as a state-changing request; one view
 *   per socket and handler, so `user` is what that handler's guard set.
 * - anything else (`rpc`, a GraphQL subscription over a socket): an empty request, so a guard
 *   finds no token and refuses.
 */
export function requestOf(context: ExecutionContext): PrincipalRequest {
  switch (context.getType<string>()) {
    case 'http':
      return context.switchToHttp().getRequest<PrincipalRequest>();
    case 'graphql':
      return graphqlRequest(context.getArgByIndex<unknown>(2)) ?? { headers: {} };
    case 'ws':
      return socketRequest(context.switchToWs().getClient<unknown>(), handlerOf(context));
    default:
      return { headers: {} };
  }
}

/** Registers the upgrade request of a socket whose library does not keep it (`ws`). */
export function rememberHandshake(client: object, request: CookieRequest): void {
  handshakes.set(client, request);
  socketRequests.delete(client);
}

function graphqlRequest(gqlContext: unknown): PrincipalRequest | undefined {
  if (!isObject(gqlContext)) return undefined;
  const reply = gqlContext.reply;
  const candidate = gqlContext.req ?? (isObject(reply) ? reply.request : undefined);
  return isRequest(candidate) ? candidate : undefined;
}

/** The handler a context runs (the same function for a gateway message's guards and params). */
function handlerOf(context: ExecutionContext): unknown {
  return typeof context.getHandler === 'function' ? context.getHandler() : undefined;
}

function socketRequest(client: unknown, handler: unknown): PrincipalRequest {
  if (!isObject(client)) return { headers: {} };
  let views = socketRequests.get(client);
  if (!views) {
    views = new Map();
    socketRequests.set(client, views);
  }
  let view = views.get(handler);
  if (!view) {
    view = handshakeRequest(client);
    views.set(handler, view);
  }
  return view;
}

/**
 * A new view of a socket's handshake request, seen as a state-changing request (the same-site
 * rule applies to its cookie): what the connection is authenticated with.
 */
export function handshakeRequest(client: object): PrincipalRequest {
  const socket = client as Record<string, unknown>;
  const handshake = handshakes.get(client) ?? socketIoRequest(socket);
  const handshakeInfo = isObject(socket.handshake) ? socket.handshake : {};
  return {
    method: SOCKET_METHOD,
    headers: handshake?.headers ?? {},
    rawHeaders: handshake?.rawHeaders,
    ip:
      typeof handshakeInfo.address === 'string'
        ? handshakeInfo.address
        : handshake?.socket?.remoteAddress,
  };
}

/** A Socket.IO socket's handshake request (`socket.request`, an `IncomingMessage`). */
function socketIoRequest(client: Record<string, unknown>): CookieRequest | undefined {
  const request = client.request;
  return isRequest(request) ? request : undefined;
}

function isRequest(value: unknown): value is PrincipalRequest {
  return isObject(value) && isObject(value.headers);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
