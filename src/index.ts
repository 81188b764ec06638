export { SessionModule } from './session.module.js';
export { SessionService } from './session.service.js';
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
export { SessionAuthGuard } from './guards/session-auth.guard.js';
export { CurrentSession } from './decorators/current-session.decorator.js';
export { CurrentUser } from './decorators/current-user.decorator.js';
export type { CurrentUserInfo } from './decorators/current-user.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { Roles } from './decorators/roles.decorator.js';
export { AuthController } from './auth.controller.js';
export type { RefreshResponse, SessionListItem } from './auth.controller.js';
export { SessionRepository } from './repositories/session.repository.js';
export { RedisSessionRepository } from './repositories/redis-session.repository.js';
export { MemorySessionRepository } from './repositories/memory-session.repository.js';
export type {
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
export type { ResolvedSessionConfig, ResolvedKey } from './config/resolved-session-config.js';
export { SESSION_CONFIG } from './session.constants.js';
export type {
  AccessTokenOptions,
  Duration,
  HmacAlgorithm,
  RefreshTokenOptions,
  SessionCookieOptions,
  SessionModuleExtras,
  SessionModuleOptions,
  SessionRedisClusterOptions,
  SessionRevocationOptions,
  SessionRedisOptions,
} from './interfaces/session-options.interface.js';
export type {
  ClaimValue,
  CreatedSession,
  IssuedTokens,
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
