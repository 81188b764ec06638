// The public API of `nest-redis-sessions`: every export is a promise (etc/api/ guards it).
// Subpaths: `/health`, `/openapi`, `/passport`, `/testing`, `/ws`.

// The module and the app's facade
export { SessionModule } from './session.module.js';
export { SessionService } from './session.service.js';
export type {
  CreatedSession,
  IssuedTokens,
  RevokeAllOptions,
  RevokeOptions,
  SessionClaimsChange,
  SessionClaimsTarget,
  SessionContext,
  SessionInfo,
  SessionUser,
} from './session.types.js';
export type { ClaimValue, SessionClaims } from './tokens/claim.types.js';
export type { RefreshPrincipal, SessionPrincipal } from './tokens/token.types.js';

// Guards and decorators
export { AccessGuard } from './guards/access.guard.js';
export { RefreshGuard } from './guards/refresh.guard.js';
export { RolesGuard } from './guards/roles.guard.js';
export type { SessionGuardOptions } from './config/resolved-config.js';
export { InjectSessionOptions } from './decorators/inject-session-options.decorator.js';
export { CurrentSession } from './decorators/current-session.decorator.js';
export { CurrentUser } from './decorators/current-user.decorator.js';
export type { CurrentUserInfo } from './decorators/current-user.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { Roles } from './decorators/roles.decorator.js';
export { RequireFreshSession } from './decorators/require-fresh-session.decorator.js';

// Errors
export {
  SESSION_NOT_FRESH,
  SessionArgumentError,
  SessionConfigError,
  SessionCrossSiteException,
  SessionForbiddenException,
  SessionNotFoundException,
  SessionNotFreshException,
  SessionStoreUnavailableException,
  SessionUnauthorizedException,
} from './session.exceptions.js';
export { SafeErrorFilter } from './http/safe-error.filter.js';
export type {
  CookieRequest,
  CookieResponse,
  ErrorBody,
  SessionCredential,
} from './http/http.types.js';
// The session routes' handlers (e.g. to rate-limit `AuthController.prototype.refresh`)
export { AuthController } from './routes/auth.controller.js';
export type { RefreshResponse, SessionListItem } from './routes/auth.responses.js';

// Events
export { SessionEvents } from './events/session-events.js';
export type {
  SessionCreatedEvent,
  SessionEvent,
  SessionEventBase,
  SessionEventName,
  SessionEventsOptions,
  SessionRefreshedEvent,
  SessionReuseDetectedEvent,
  SessionRevokedEvent,
  SessionRevokedReason,
} from './events/session-events.js';

// Storage: the contract a custom repository implements, and the two built in
export { SessionRepository } from './store/session.repository.js';
export { RedisSessionRepository } from './store/redis/redis-session.repository.js';
export { MemorySessionRepository } from './store/memory-session.repository.js';
export type {
  ClaimsTarget,
  ClaimsUpdate,
  ExpiredSession,
  LiveSession,
  NewSessionRecord,
  RotateInput,
  RotateResult,
  SessionChange,
  SessionChangeFeed,
  SessionChangeListener,
  SessionRecord,
} from './store/session-record.js';

// Options
export { parseDuration } from './config/duration.js';
export type {
  AccessTokenKey,
  AccessTokenOptions,
  AsymmetricAlgorithm,
  Duration,
  HmacAlgorithm,
  KeyMaterial,
  RefreshTokenOptions,
  SessionCookieOptions,
  SessionJwksOptions,
  SessionModuleAsyncOptions,
  SessionModuleExtras,
  SessionModuleOptions,
  SessionRedisClusterOptions,
  SessionRedisOptions,
  SessionRevocationOptions,
} from './config/session-options.js';
