/**
 * `nest-redis-sessions/openapi`: `@nestjs/swagger` documentation of the session routes. A subpath
 * of its own because `@nestjs/swagger` is an optional peer dependency: the main entry point never
 * loads it.
 */
export {
  ApiSessionAuth,
  documentSessionRoutes,
  SESSION_OPENAPI_TAG,
  SESSION_SECURITY_SCHEMES,
} from './session.openapi.js';
export {
  SessionErrorBody,
  SessionListBody,
  SessionListItemBody,
  SessionRefreshBody,
  SessionRefreshResponse,
} from './session-openapi.models.js';
