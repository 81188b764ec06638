import { SessionArgumentError } from '../session.exceptions.js';
import type { SessionClaimsChange } from '../session.types.js';
import type { ClaimsUpdate } from '../store/session-record.js';
import type { ClaimValue, SessionClaims } from './claim.types.js';

export type { ClaimValue, SessionClaims } from './claim.types.js';

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

/** Longest role accepted. */
const MAX_ROLE_LENGTH = 64;
/** Most bytes the custom claims of one session may take, as JSON. */
const MAX_CLAIMS_JSON = 1024;

export function isClaimValue(value: unknown): value is ClaimValue {
  return typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value);
}

/**
 * The claims the app gives a session (`create`, `updateClaims`), checked: every name listed in
 * `allowed`, flat values, at most 1 KiB as JSON. Throws `SessionArgumentError` naming the problem.
 * A plain copy of the values checked: a getter or an inherited `toJSON` cannot store others.
 */
export function checkClaims(claims: unknown, allowed: ReadonlySet<string>): SessionClaims {
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new SessionArgumentError('claims must be an object');
  }
  const checked: [string, ClaimValue][] = [];
  for (const [name, value] of Object.entries(claims)) {
    if (!allowed.has(name)) {
      throw new SessionArgumentError(`claim "${name}" is not listed in the customClaims option`);
    }
    if (!isClaimValue(value)) {
      throw new SessionArgumentError(`claim "${name}" must be a string, number or boolean`);
    }
    checked.push([name, value]);
  }
  const copy = Object.fromEntries(checked) as SessionClaims;
  if (Buffer.byteLength(JSON.stringify(copy)) > MAX_CLAIMS_JSON) {
    throw new SessionArgumentError(`claims must serialize to at most ${MAX_CLAIMS_JSON} bytes`);
  }
  return copy;
}

/** A role given by the app, checked; `option` names the argument in the error. */
export function checkRole(option: string, role: unknown): string {
  if (typeof role !== 'string' || role.length > MAX_ROLE_LENGTH) {
    throw new SessionArgumentError(
      `${option} must be a string of at most ${MAX_ROLE_LENGTH} characters`,
    );
  }
  return role;
}

/**
 * The custom claims of a verified access token's payload: every claim that is not registered,
 * or `undefined` when one is not listed in `allowed` or not a flat value (the token is refused).
 */
export function readTokenClaims(
  payload: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): SessionClaims | undefined {
  const claims: SessionClaims = {};
  for (const [name, value] of Object.entries(payload)) {
    if (REGISTERED_CLAIMS.has(name)) continue;
    if (!allowed.has(name) || !isClaimValue(value)) return undefined;
    claims[name] = value;
  }
  return claims;
}

/**
 * A change of role and/or claims given by the app (`updateClaims`), checked like `create()`'s:
 * throws `SessionArgumentError` for an unlisted claim, a bad value, too much, or nothing to set.
 */
export function checkClaimsChange(
  change: SessionClaimsChange,
  allowed: ReadonlySet<string>,
): ClaimsUpdate {
  if (!change || typeof change !== 'object') {
    throw new SessionArgumentError('change must be an object with role and/or claims');
  }
  const update: ClaimsUpdate = {};
  if (change.role !== undefined) {
    update.role = change.role === null ? null : checkRole('change.role', change.role);
  }
  if (change.claims !== undefined) update.claims = checkClaims(change.claims, allowed);
  if (update.role === undefined && update.claims === undefined) {
    throw new SessionArgumentError('change must set role and/or claims');
  }
  return update;
}
