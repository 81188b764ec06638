import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { types } from 'node:util';
import type { AsymmetricAlgorithm } from '../config/session-options.js';
import { SessionConfigError } from '../session.exceptions.js';
import type { PublicJwk, ResolvedVerifyKey } from './key.types.js';

const ASYMMETRIC: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];
const MIN_RSA_BITS = 2048;
/** A kid that is safe in a header, a log line and a URL: no quotes, slashes or spaces. */
const KID = /^[A-Za-z0-9._~-]{1,64}$/;
/** Signed and verified once per configured key pair to prove the two halves belong together. */
const PAIR_CHECK = Buffer.from('nest-redis-sessions key pair check');

/** An asymmetric key of `accessToken.keys`, parsed and checked. */
interface ParsedKeyPair {
  verify: ResolvedVerifyKey;
  privateKey?: KeyObject;
  option: string;
}

export function resolveKeyPairs(option: string, value: unknown): ParsedKeyPair[] {
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
