import type { KeyObject } from 'node:crypto';
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import type { ResolvedKey, ResolvedVerifyKey } from './key.types.js';

/** A compact JWS split into its decoded header and payload (signature already checked). */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** The signature segment, as sent. */
  signature: string;
}

/** The claim checks the JWT library makes on every token, before this module's own. */
export interface JwtChecks {
  issuer?: string;
  audience?: string;
  clockToleranceMs: number;
}

type Verify = (token: string) => DecodedJwt;

/**
 * Signs and verifies one kind of token (access or refresh) with fast-jwt, the one JWT library of
 * the module: every key's signer and verifier is built once, here, with its algorithm pinned.
 * A token's `kid` only selects among the configured keys; with a single key (no rotation under
 * way) the header is not read apart, and the caller's `kid` check refuses any other `kid`.
 * Throws (fast-jwt's `TokenError`) on any failure; callers turn that into a 401.
 */
export class JwtCodec {
  private readonly signer: (payload: object) => string;
  private readonly byKid: ReadonlyMap<string, Verify>;
  private readonly only: Verify | undefined;

  constructor(key: ResolvedKey, typ: string, checks: JwtChecks) {
    this.signer = createSigner({
      key: material(key.key),
      algorithm: key.algorithm,
      kid: key.kid,
      header: { alg: key.algorithm, typ },
    });
    const verifiers = new Map(
      key.verifyKeys.map((entry) => [entry.kid, verifierOf(entry, checks)]),
    );
    this.byKid = verifiers;
    this.only = verifiers.size === 1 ? verifiers.values().next().value : undefined;
  }

  /** A compact JWS of `payload` (which carries its own `iat` and `exp`). */
  sign(payload: object): string {
    return this.signer(payload);
  }

  /** The decoded token, when a configured key signed it; throws otherwise. */
  verify(token: string): DecodedJwt {
    const decoded = this.verifierOf(token)(token);
    // One token, one spelling: the last base64url character of a signature has spare bits that
    // decoders ignore, so a twin string would carry the same signature.
    const signature = decoded.signature;
    if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
      throw new Error('non-canonical signature');
    }
    return decoded;
  }

  private verifierOf(token: string): Verify {
    if (this.only) return this.only;
    const kid = kidOf(token);
    const verify = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    if (!verify) throw new Error('no configured key has this kid');
    return verify;
  }
}

const decodeUnverified = createDecoder({ complete: true });

function kidOf(token: string): unknown {
  return (decodeUnverified(token) as DecodedJwt).header.kid;
}

function verifierOf(entry: ResolvedVerifyKey, checks: JwtChecks): Verify {
  return createVerifier({
    key: material(entry.key),
    algorithms: [entry.algorithm],
    complete: true,
    clockTolerance: checks.clockToleranceMs,
    ...(checks.issuer ? { allowedIss: checks.issuer } : {}),
    ...(checks.audience ? { allowedAud: checks.audience } : {}),
  }) as unknown as Verify;
}

/** fast-jwt takes keys as bytes or PEM (it builds and caches its own `KeyObject`). */
function material(key: KeyObject): string | Buffer {
  if (key.type === 'secret') return key.export();
  return key.type === 'private'
    ? (key.export({ format: 'pem', type: 'pkcs8' }) as string)
    : (key.export({ format: 'pem', type: 'spki' }) as string);
}
