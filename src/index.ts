export { SessionModule } from './session.module.js';
export { SessionService } from './session.service.js';
export type { RevokeAllOptions, RevokeOptions } from './session.service.js';
export { SessionTestingHelper } from './testing/session-testing.helper.js';
export type { TestSession } from './testing/session-testing.helper.js';
export { TokenService } from './token.service.js';
export type { AccessClaims, SignedToken } from './token.service.js';
export { AccessGuard } from './guards/access.guard.js';
export { PassportAccessGuard } from './guards/passport-access.guard.js';
export { AccessStrategy } from './strategies/access.strategy.js';
export { RefreshStrategy } from './strategies/refresh.strategy.js';
export { RefreshGuard } from './guards/refresh.guard.js';
export { RolesGuard } from './guards/roles.guard.js';
export { WsSessionService } from './ws/ws-session.service.js';
export type { SocketConnectError, SocketMiddleware } from './ws/ws-session.service.js';
export type { SocketErrorBody } from './ws/socket-client.js';
export { SessionAuthGuard } from './guards/session-auth.guard.js';
export { CurrentSession } from './decorators/current-session.decorator.js';
export { CurrentUser } from './decorators/current-user.decorator.js';
export type { CurrentUserInfo } from './decorators/current-user.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { Roles } from './decorators/roles.decorator.js';
export { RequireFreshSession } from './decorators/require-fresh-session.decorator.js';
export { SESSION_NOT_FRESH, SessionNotFreshException } from './session-not-fresh.exception.js';
export { SessionEvents } from './events/session-events.constants.js';
export type { SessionEventName } from './events/session-events.constants.js';
export type {
  SessionCreatedEvent,
  SessionEvent,
  SessionEventBase,
  SessionEventsOptions,
  SessionRefreshedEvent,
  SessionReuseDetectedEvent,
  SessionRevokedEvent,
  SessionRevokedReason,
} from './events/session-event.interface.js';
export { AuthController } from './auth.controller.js';
export type { RefreshResponse, SessionListItem } from './auth.controller.js';
export { SessionRepository } from './repositories/session.repository.js';
export { RedisSessionRepository } from './repositories/redis-session.repository.js';
export { MemorySessionRepository } from './repositories/memory-session.repository.js';
export type {
  ClaimsTarget,
  ClaimsUpdate,
  ExpiredSession,
  LiveSessionRecord,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionRecord,
} from './repositories/session-record.interface.js';
export {
  CrossSiteRequestException,
  SessionArgumentError,
  SessionConfigError,
  SessionForbiddenException,
  SessionNotFoundException,
  SessionStoreUnavailableException,
  SessionUnauthorizedException,
} from './session.exceptions.js';
export { parseDuration } from './config/duration.js';
export type {
  JwtAlgorithm,
  PublicJwk,
  ResolvedKey,
  ResolvedSessionConfig,
  ResolvedVerifyKey,
} from './config/resolved-session-config.js';
export { JwksController } from './jwks.controller.js';
export type { JwksResponse } from './jwks.controller.js';
export { SESSION_CONFIG } from './session.constants.js';
export type {
  AccessTokenKey,
  AccessTokenOptions,
  AsymmetricAlgorithm,
  Duration,
  HmacAlgorithm,
  KeyMaterial,
  RefreshTokenOptions,
  SessionCookieOptions,
  SessionModuleExtras,
  SessionJwksOptions,
  SessionModuleOptions,
  SessionRedisClusterOptions,
  SessionRevocationOptions,
  SessionRedisOptions,
} from './interfaces/session-options.interface.js';
export type {
  ClaimValue,
  CreatedSession,
  IssuedTokens,
  LiveSessionView,
  SessionClaimsChange,
  SessionClaimsTarget,
  SessionContext,
  SessionInfo,
  SessionPrincipal,
  SessionUser,
} from './interfaces/session.interface.js';
export type {
  AccessTokenPayload,
  RefreshPrincipal,
  RefreshTokenPayload,
} from './interfaces/token-payload.interface.js';
export type { CookieRequest, CookieResponse } from './http/http.types.js';
export { SafeErrorFilter } from './http/safe-error.filter.js';
export type { ErrorBody } from './http/safe-error.filter.js';
