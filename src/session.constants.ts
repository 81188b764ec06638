/** Injection token of the resolved, validated configuration (`ResolvedSessionConfig`). */
export const SESSION_CONFIG = Symbol('SESSION_CONFIG');
/** Injection token of the module's extras (`isGlobal`, `routes`). */
export const SESSION_EXTRAS = Symbol('SESSION_EXTRAS');
/** Injection token of the module's ioredis client, or `null` with a custom repository. */
export const SESSION_REDIS = Symbol('SESSION_REDIS');
/** Metadata key of `@Public()`. */
export const IS_PUBLIC_KEY = 'nest-session:public';
/** Metadata key of `@Roles()`. */
export const ROLES_KEY = 'nest-session:roles';
/**
 * The claims this module writes itself: never a custom claim (`customClaims` refuses them, and an
 * access token's custom claims are the others).
 */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set([
  'sub',
  'sid',
  'jti',
  'type',
  'role',
  'iat',
  'exp',
  'nbf',
  'iss',
  'aud',
]);
/** Longest token read from a request; anything longer is refused unparsed. */
export const MAX_TOKEN_LENGTH = 4096;
/** Longest user agent stored with a session. */
export const MAX_USER_AGENT_LENGTH = 256;
