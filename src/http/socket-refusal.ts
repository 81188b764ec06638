import type { ErrorBody } from './http.types.js';

/** What a refused socket message answers: Nest's `WsException` event shape plus the status. */
export interface SocketErrorBody extends ErrorBody {
  status: 'error';
}

/** The parts of a Socket.IO socket or a `ws` WebSocket this module uses. */
interface SocketLike {
  readyState?: unknown;
  send?: (data: string) => void;
  close?: (code: number, reason: string) => void;
  emit?: (event: string, data: unknown) => void;
  disconnect?: (close: boolean) => void;
}

/** The WebSocket close code for a policy violation (RFC 6455, 7.4.1). */
const POLICY_VIOLATION = 1008;

/**
 * Answers a refused socket message with an `exception` event, as Nest's `WsException` does
 * (Socket.IO: `emit('exception', body)`; `ws`: `send('{"event":"exception","data":…}')`). When
 * the connection itself is refused (`disconnect`: its token is invalid, expired or revoked, or its
 * handshake came from a foreign site), the socket is then closed: it can never succeed again.
 */
export function refuseSocketMessage(client: unknown, body: ErrorBody, disconnect: boolean): void {
  if (typeof client !== 'object' || client === null) return;
  const socket = client as SocketLike;
  const payload: SocketErrorBody = { status: 'error', ...body };
  // A native WebSocket is an EventEmitter too, but its `emit` only reaches local listeners.
  if (typeof socket.readyState === 'number' && typeof socket.send === 'function') {
    socket.send(JSON.stringify({ event: 'exception', data: payload }));
    if (disconnect)
      socket.close?.(POLICY_VIOLATION, body.statusCode === 401 ? 'Unauthorized' : 'Forbidden');
    return;
  }
  socket.emit?.('exception', payload);
  if (disconnect) socket.disconnect?.(true);
}
