import { applyDecorators, type INestApplicationContext } from '@nestjs/common';
import {
  ApiBody,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  type DocumentBuilder,
} from '@nestjs/swagger';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import { AuthController } from '../routes/auth.controller.js';
import {
  SessionErrorBody,
  SessionListBody,
  SessionRefreshBody,
  SessionRefreshResponse,
} from './session-openapi.models.js';

/** Names of the security schemes that the session routes (and `ApiSessionAuth()`) refer to. */
export const SESSION_SECURITY_SCHEMES = {
  /** `Authorization: Bearer <access token>`. */
  bearer: 'sessionBearer',
  /** The access-token cookie. */
  accessCookie: 'sessionAccessCookie',
  /** The refresh-token cookie (sent only to the route prefix). */
  refreshCookie: 'sessionRefreshCookie',
} as const;

/** The tag of the session routes in the document. */
export const SESSION_OPENAPI_TAG = 'sessions';

const error = (description: string) => ({ description, type: SessionErrorBody });
const unauthorized = ApiUnauthorizedResponse(
  error('No valid token: missing, malformed, expired, revoked or reused (one answer for all).'),
);
const crossSite = ApiForbiddenResponse(
  error('A cookie-authenticated write from an origin that is not allowed.'),
);
const unavailable = ApiServiceUnavailableResponse(error('The session store does not answer.'));
const setCookie = (what: string) => ({
  'Set-Cookie': {
    description: `${what} (HttpOnly; only when the app has cookies on).`,
    schema: { type: 'string' },
  },
});

/**
 * The security requirement of routes guarded by `AccessGuard`: a bearer access token or the access
 * cookie. Use it on your own guarded routes; with `documentSessionRoutes()` the schemes exist.
 *
 * @example
 * ```ts
 * @Get('me')
 * @UseGuards(AccessGuard)
 * @ApiSessionAuth()
 * me(@CurrentUser() user: CurrentUserInfo) { return user; }
 * ```
 */
export function ApiSessionAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiSecurity(SESSION_SECURITY_SCHEMES.bearer),
    ApiSecurity(SESSION_SECURITY_SCHEMES.accessCookie),
    unauthorized,
    unavailable,
  );
}

/** What each route of `AuthController` is documented with, by method name. */
const ROUTES: Record<string, MethodDecorator[]> = {
  refresh: [
    ApiOperation({
      summary: 'Renew the access token',
      description:
        'Rotates the refresh token (cookie, or body with `refreshToken.acceptFromBody`) and ' +
        'issues a new access token. A refresh token used twice after its grace window revokes ' +
        'the session.',
    }),
    ApiSecurity(SESSION_SECURITY_SCHEMES.refreshCookie),
    ApiBody({ type: SessionRefreshBody, required: false }),
    ApiOkResponse({
      description: 'New tokens.',
      type: SessionRefreshResponse,
      headers: setCookie('The new access and refresh cookies'),
    }),
    unauthorized,
    crossSite,
    unavailable,
  ],
  logout: [
    ApiOperation({
      summary: 'End the current session',
      description:
        'Accepts the access token (bearer or cookie) or, when it has expired, the refresh cookie.',
    }),
    ApiSecurity(SESSION_SECURITY_SCHEMES.bearer),
    ApiSecurity(SESSION_SECURITY_SCHEMES.accessCookie),
    ApiSecurity(SESSION_SECURITY_SCHEMES.refreshCookie),
    ApiNoContentResponse({ description: 'Ended.', headers: setCookie('Clears both cookies') }),
    unauthorized,
    crossSite,
    unavailable,
  ],
  logoutAll: [
    ApiOperation({ summary: "End every session of the current user (every device's)" }),
    ApiSessionAuth(),
    ApiNoContentResponse({ description: 'Ended.', headers: setCookie('Clears both cookies') }),
    crossSite,
  ],
  list: [
    ApiOperation({ summary: "List the current user's live sessions" }),
    ApiSessionAuth(),
    ApiOkResponse({ description: 'The sessions.', type: SessionListBody }),
  ],
  revoke: [
    ApiOperation({ summary: 'End one session of the current user' }),
    ApiParam({ name: 'id', type: 'string', description: 'A session id from `GET sessions`.' }),
    ApiSessionAuth(),
    ApiNoContentResponse({
      description: 'Ended (the current session also gets its cookies cleared).',
      headers: setCookie('Clears both cookies when the current session is ended'),
    }),
    ApiNotFoundResponse(error("No such live session of this user (another user's: same answer).")),
    crossSite,
  ],
};

let decorated = false;

/**
 * Puts the `@nestjs/swagger` decorators on the session routes (`AuthController`, and so every
 * prefix it is mounted under), once, and adds to `builder` the security schemes they refer to,
 * with the cookie names the app's `SessionModule` uses. Call it before
 * `SwaggerModule.createDocument()`.
 *
 * @param app the app (or any context of it) whose `SessionModule` gives the cookie names.
 * @returns `builder`, for chaining.
 * @example
 * ```ts
 * const config = documentSessionRoutes(app, new DocumentBuilder().setTitle('API')).build();
 * const document = SwaggerModule.createDocument(app, config);
 * ```
 */
export function documentSessionRoutes(
  app: INestApplicationContext,
  builder: DocumentBuilder,
): DocumentBuilder {
  decorateAuthController();
  let config: ResolvedSessionConfig;
  try {
    config = app.get<ResolvedSessionConfig>(SESSION_CONFIG, { strict: false });
  } catch {
    throw new Error('documentSessionRoutes(): the app has no SessionModule');
  }
  const { cookies, routePrefix } = config;
  const off = cookies.enabled ? '' : ' Not used by this app (cookies are off).';
  return builder
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token.' },
      SESSION_SECURITY_SCHEMES.bearer,
    )
    .addCookieAuth(
      cookies.accessName,
      {
        type: 'apiKey',
        in: 'cookie',
        description: `The access token, in the HttpOnly cookie set at login and refresh.${off}`,
      },
      SESSION_SECURITY_SCHEMES.accessCookie,
    )
    .addCookieAuth(
      cookies.refreshName,
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          `The refresh token, in the HttpOnly cookie set at login and refresh and sent only to ` +
          `/${routePrefix ?? ''}.${off}`,
      },
      SESSION_SECURITY_SCHEMES.refreshCookie,
    );
}

/** Applies the decorators of `ROUTES` to `AuthController` the first time only. */
function decorateAuthController(): void {
  if (decorated) return;
  decorated = true;
  ApiTags(SESSION_OPENAPI_TAG)(AuthController);
  const prototype = AuthController.prototype as unknown as Record<string, unknown>;
  for (const [method, decorators] of Object.entries(ROUTES)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, method);
    if (typeof descriptor?.value !== 'function') continue;
    for (const decorate of decorators) decorate(prototype, method, descriptor);
  }
}
