import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { types } from 'node:util';
import type {
  AsymmetricAlgorithm,
  HmacAlgorithm,
  SessionJwksOptions,
} from '../interfaces/session-options.interface.js';
import { SessionConfigError } from '../session.exceptions.js';
import { parseDuration } from './duration.js';
import type { PublicJwk, ResolvedKey, ResolvedVerifyKey } from './resolved-session-config.js';
import { secretWeakness } from './secret-strength.js';

/** RFC 7518 3.2: an HMAC key at least as long as the hash output; never under 32 bytes. */
const MIN_KEY_BYTES: Record<HmacAlgorithm, number> = { HS256: 32, HS384: 48, HS512: 64 };
const ASYMMETRIC: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];
const MIN_RSA_BITS = 2048;
/** A kid that is safe in a header, a log line and a URL: no quotes, slashes or spaces. */
const KID = /^[A-Za-z0-9._~-]{1,64}$/;
const JWKS_PATH = /^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const DEFAULT_JWKS_PATH = '/.well-known/jwks.json';
/** Signed and verified once per configured key pair to prove the two halves belong together. */
const PAIR_CHECK = Buffer.from('nest-redis-sessions key pair check');

/** The raw key options of one kind of token, as a JavaScript caller could pass them. */
interface RawKeyOptions {
  secret?: unknown;
  previousSecrets?: unknown;
  algorithm?: unknown;
  keys?: unknown;
}

/** An asymmetric key of `accessToken.keys`, parsed and checked. */
interface ParsedKeyPair {
  verify: ResolvedVerifyKey;
  privateKey?: KeyObject;
  option: string;
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
    withoutKid: hmac,
  };
}

/** The JWKS route of the `jwks` extra, or `null` when it is off. */
export function resolveJwksRoute(value: unknown): { path: string; maxAgeSeconds: number } | null {
  if (value === undefined || value === false) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SessionConfigError('jwks', 'must be false or an object { path?, maxAge? }');
  }
  const { path = DEFAULT_JWKS_PATH, maxAge = '5m' } = value as SessionJwksOptions;
  if (
    typeof path !== 'string' ||
    !JWKS_PATH.test(path) ||
    path.length > 200 ||
    path.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw new SessionConfigError('jwks.path', `must be a path such as ${DEFAULT_JWKS_PATH}`);
  }
  const maxAgeMs = parseDuration(maxAge);
  if (maxAgeMs === undefined) {
    throw new SessionConfigError('jwks.maxAge', "is not a valid duration (examples: '5m', 300000)");
  }
  return { path: path.replace(/^\/+/, ''), maxAgeSeconds: Math.floor(maxAgeMs / 1000) };
}

/** The JWKS the `jwks` extra serves: the public keys of the access token, never a secret. */
export function resolveJwks(
  value: unknown,
  access: ResolvedKey,
): { path: string; maxAgeSeconds: number; keys: PublicJwk[] } | null {
  const route = resolveJwksRoute(value);
  if (!route) return null;
  const keys = access.verifyKeys.flatMap((entry) => (entry.jwk ? [entry.jwk] : []));
  if (keys.length === 0) {
    throw new SessionConfigError(
      'jwks',
      'needs asymmetric accessToken.keys (HMAC secrets are never published)',
    );
  }
  return { ...route, keys };
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
      `must be at least ${MIN_KEY_BYTES[alg]} bytes for ${alg} (run "npm run secret" for one)`,
    );
  }
  const weakness = secretWeakness(bytes);
  if (weakness) {
    throw new SessionConfigError(option, `${weakness}: use a random secret ("npm run secret")`);
  }
  return createSecretKey(Buffer.from(bytes));
}

/**
 * The kid of an HMAC secret: a truncated, labelled SHA-256 of it. Stable (the same secret keeps
 * its kid when it moves to `previousSecrets`) and no help to an attacker: the token's own HMAC
 * already lets anyone test guesses of the secret offline.
 */
function hmacKid(key: KeyObject): string {
  return createHash('sha256')
    .update('nest-redis-sessions hmac kid\0')
    .update(key.export())
    .digest('base64url')
    .slice(0, 16);
}

function resolveKeyPairs(option: string, value: unknown): ParsedKeyPair[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SessionConfigError(`${option}.keys`, 'must be an array');
  return value.map((entry, i) => resolveKeyPair(`${option}.keys[${i}]`, entry));
}

function resolveKeyPair(option: string, entry: unknown): ParsedKeyPair {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new SessionConfigError(
      option,
      'must be an object { algorithm, privateKey?, publicKey? }',
    );
  }
  const raw = entry as Record<string, unknown>;
  const algorithm = raw.algorithm as AsymmetricAlgorithm;
  if (typeof algorithm !== 'string' || !ASYMMETRIC.includes(algorithm)) {
    throw new SessionConfigError(`${option}.algorithm`, 'must be one of EdDSA, ES256, RS256');
  }
  const privateKey =
    raw.privateKey === undefined ? undefined : toPrivateKey(`${option}.privateKey`, raw.privateKey);
  let publicKey: KeyObject;
  if (raw.publicKey !== undefined) {
    publicKey = toPublicKey(`${option}.publicKey`, raw.publicKey);
  } else if (privateKey) {
    publicKey = createPublicKey(privateKey);
  } else {
    throw new SessionConfigError(`${option}.publicKey`, 'is required (or a privateKey)');
  }
  checkKeyType(
    raw.publicKey !== undefined ? `${option}.publicKey` : `${option}.privateKey`,
    algorithm,
    publicKey,
  );
  if (privateKey) {
    checkKeyType(`${option}.privateKey`, algorithm, privateKey);
    if (!isPair(algorithm, privateKey, publicKey)) {
      throw new SessionConfigError(`${option}.privateKey`, 'does not match its publicKey');
    }
  }
  const members = publicMembers(publicKey);
  const kid = raw.kid === undefined ? thumbprint(members) : raw.kid;
  if (typeof kid !== 'string' || !KID.test(kid)) {
    throw new SessionConfigError(`${option}.kid`, 'must be 1 to 64 of A-Z a-z 0-9 . _ ~ -');
  }
  const jwk: PublicJwk = { ...members, kid, alg: algorithm, use: 'sig' };
  return { verify: { kid, algorithm, key: publicKey, jwk }, privateKey, option };
}

function toPrivateKey(option: string, value: unknown): KeyObject {
  if (types.isKeyObject(value)) {
    const key = value as KeyObject;
    if (key.type !== 'private') throw new SessionConfigError(option, 'must be a private key');
    return key;
  }
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw new SessionConfigError(option, 'must be a PEM string, a Buffer or a KeyObject');
  }
  try {
    return createPrivateKey(value);
  } catch {
    // The parser's own message is dropped: it could quote the key.
    throw new SessionConfigError(option, 'is not an unencrypted PEM private key');
  }
}

function toPublicKey(option: string, value: unknown): KeyObject {
  if (types.isKeyObject(value)) {
    const key = value as KeyObject;
    if (key.type !== 'public') {
      throw new SessionConfigError(option, 'must be a public key (never the private one)');
    }
    return key;
  }
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw new SessionConfigError(option, 'must be a PEM string, a Buffer or a KeyObject');
  }
  if (value.toString().includes('PRIVATE KEY')) {
    // Node would derive the public key from it, but a private key has no place here.
    throw new SessionConfigError(option, 'must be a public key (never the private one)');
  }
  try {
    return createPublicKey(value);
  } catch {
    throw new SessionConfigError(option, 'is not a PEM public key');
  }
}

function checkKeyType(option: string, algorithm: AsymmetricAlgorithm, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'EdDSA' && type !== 'ed25519') {
    throw new SessionConfigError(option, 'must be an Ed25519 key for EdDSA');
  }
  if (algorithm === 'ES256' && (type !== 'ec' || details.namedCurve !== 'prime256v1')) {
    throw new SessionConfigError(option, 'must be a P-256 (prime256v1) EC key for ES256');
  }
  if (algorithm === 'RS256' && (type !== 'rsa' || (details.modulusLength ?? 0) < MIN_RSA_BITS)) {
    throw new SessionConfigError(option, `must be an RSA key of at least ${MIN_RSA_BITS} bits`);
  }
}

function isPair(algorithm: AsymmetricAlgorithm, privateKey: KeyObject, publicKey: KeyObject) {
  const hash = algorithm === 'EdDSA' ? null : 'sha256';
  return verify(hash, PAIR_CHECK, publicKey, sign(hash, PAIR_CHECK, privateKey));
}

type PublicMembers = Pick<PublicJwk, 'kty' | 'crv' | 'x' | 'y' | 'n' | 'e'>;

/** The public members of a key's JWK (what RFC 7638 hashes and a JWKS lists). */
function publicMembers(key: KeyObject): PublicMembers {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') return { kty: 'RSA', n: jwk.n, e: jwk.e };
  if (jwk.kty === 'EC') return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
  return { kty: 'OKP', crv: jwk.crv, x: jwk.x };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the required members in lexicographic order. */
function thumbprint(m: PublicMembers): string {
  const canonical =
    m.kty === 'RSA'
      ? { e: m.e, kty: m.kty, n: m.n }
      : m.kty === 'EC'
        ? { crv: m.crv, kty: m.kty, x: m.x, y: m.y }
        : { crv: m.crv, kty: m.kty, x: m.x };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}
