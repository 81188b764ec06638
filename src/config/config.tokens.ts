/** Injection token of the resolved, validated configuration (`ResolvedSessionConfig`). */
export const SESSION_CONFIG = Symbol('nest-redis-sessions:config');
/** Injection token of the module's extras (`isGlobal`, `routes`, `jwks`). */
export const SESSION_EXTRAS = Symbol('nest-redis-sessions:extras');
/** Injection token of the guards' slice of the options (`SessionGuardOptions`). */
export const SESSION_GUARD_OPTIONS = Symbol('nest-redis-sessions:guard-options');
