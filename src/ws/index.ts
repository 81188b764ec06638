/**
 * `nest-redis-sessions/ws`: authenticating WebSocket connections at connect time (guards check
 * each message). `SessionModule` provides `WsSessionService`; gateways inject it.
 */
export { WsSessionService } from './ws-session.service.js';
export type { SocketConnectError, SocketMiddleware } from './ws-session.service.js';
export type { SocketErrorBody } from '../http/socket-refusal.js';
