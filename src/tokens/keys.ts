import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import type { HmacAlgorithm } from '../config/session-options.js';
import { SessionConfigError } from '../session.exceptions.js';
import { resolveKeyPairs } from './key-pairs.js';
import type { ResolvedKey, ResolvedVerifyKey } from './key.types.js';
import { secretWeakness } from '../config/secret-strength.js';

/** RFC 7518 3.2: an HMAC key at least as long as the hash output; never under 32 bytes. */
const MIN_KEY_BYTES: Record<HmacAlgorithm, number> = { HS256: 32, HS384: 48, HS512: 64 };

/** The raw key options of one kind of token, as a JavaScript caller could pass them. */
interface RawKeyOptions {
  secret?: unknown;
  previousSecrets?: unknown;
  algorithm?: unknown;
  keys?: unknown;
}

/**
 * The signing key and the verification keys of one kind of token. `allowKeys`: whether the
 * option takes asymmetric `keys` (access tokens only: refresh tokens never leave this service).
 */
export function resolveTokenKeys(
  option: string,
  options: RawKeyOptions,
  allowKeys: boolean,
): ResolvedKey {
  const pairs = allowKeys ? resolveKeyPairs(option, options.keys) : [];
  const signer = pairs.find((pair) => pair.privateKey);
  const hmac = resolveHmacKeys(option, options, signer === undefined);
  const verifyKeys = signer
    ? [signer.verify, ...pairs.filter((p) => p !== signer).map((p) => p.verify), ...hmac]
    : [...hmac, ...pairs.map((p) => p.verify)];
  const byKid = new Map<string, ResolvedVerifyKey>();
  for (const entry of verifyKeys) {
    const listed = byKid.get(entry.kid);
    if (listed) {
      // Name the key pair of the clash: the later one, else the earlier (a signer listed before
      // the secret whose kid it took).
      const pair = pairs.find((p) => p.verify === entry) ?? pairs.find((p) => p.verify === listed);
      throw new SessionConfigError(
        pair ? `${pair.option}.kid` : `${option}.previousSecrets`,
        pair ? 'must be unique (another key has the same kid)' : 'repeats a secret already listed',
      );
    }
    byKid.set(entry.kid, entry);
  }
  // Without a private key in `keys`, resolveHmacKeys required the secret: hmac[0] signs.
  const signing = signer
    ? { entry: signer.verify, key: signer.privateKey! }
    : { entry: hmac[0], key: hmac[0].key };
  return {
    key: signing.key,
    algorithm: signing.entry.algorithm,
    kid: signing.entry.kid,
    verifyKeys,
    byKid,
    hmacKeys: hmac,
  };
}

function resolveHmacKeys(
  option: string,
  options: RawKeyOptions,
  mustSign: boolean,
): ResolvedVerifyKey[] {
  const alg = (options.algorithm ?? 'HS256') as HmacAlgorithm;
  if (typeof alg !== 'string' || !Object.hasOwn(MIN_KEY_BYTES, alg)) {
    throw new SessionConfigError(`${option}.algorithm`, 'must be one of HS256, HS384, HS512');
  }
  const previous = options.previousSecrets ?? [];
  if (!Array.isArray(previous)) {
    throw new SessionConfigError(`${option}.previousSecrets`, 'must be an array');
  }
  const hasSecret = !(options.secret === undefined || options.secret === null);
  const secrets =
    hasSecret || mustSign ? [resolveSecret(`${option}.secret`, options.secret, alg, mustSign)] : [];
  const previousKeys = previous.map((value, i) =>
    resolveSecret(`${option}.previousSecrets[${i}]`, value, alg, false),
  );
  return [...secrets, ...previousKeys].map((key) => ({ kid: hmacKid(key), algorithm: alg, key }));
}

function resolveSecret(
  option: string,
  secret: unknown,
  alg: HmacAlgorithm,
  orKeys: boolean,
): KeyObject {
  if (secret === undefined || secret === null || secret === '') {
    throw new SessionConfigError(
      option,
      orKeys && option.startsWith('accessToken')
        ? 'is required (or accessToken.keys with a privateKey)'
        : 'is required',
    );
  }
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new SessionConfigError(option, 'must be a string or a Buffer');
  }
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length < MIN_KEY_BYTES[alg]) {
    throw new SessionConfigError(
      option,
      `must be at least ${MIN_KEY_BYTES[alg]} bytes for ${alg} (run "npx nest-redis-sessions-secret" for one)`,
    );
  }
  const weakness = secretWeakness(bytes);
  if (weakness) {
    throw new SessionConfigError(
      option,
      `${weakness}: use a random secret ("npx nest-redis-sessions-secret")`,
    );
  }
  return createSecretKey(Buffer.from(bytes));
}

/**
 * The kid of an HMAC secret: a truncated, labelled SHA-256 of it. Stable (the same secret keeps
 * its kid when it moves to `previousSecrets`) and no help to an attacker: the token's own HMAC
 * already lets anyone test guesses of the secret offline.
 */
export function hmacKid(key: KeyObject): string {
  return createHash('sha256')
    .update('nest-redis-sessions hmac kid\0')
    .update(key.export())
    .digest('base64url')
    .slice(0, 16);
}
