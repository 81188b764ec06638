import type { KeyObject } from 'node:crypto';
import type { AsymmetricAlgorithm, HmacAlgorithm } from '../config/session-options.js';

/** Any algorithm a token of this module is signed with. */
export type JwtAlgorithm = HmacAlgorithm | AsymmetricAlgorithm;

/** A public key as published in a JWKS (RFC 7517): no private or secret member. */
export interface PublicJwk {
  kty: 'OKP' | 'EC' | 'RSA';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
}

/** One key that verifies tokens, built once at start-up. */
export interface ResolvedVerifyKey {
  /** Key id in the header of the tokens it signed. */
  kid: string;
  /** The only algorithm this key verifies. */
  algorithm: JwtAlgorithm;
  /** The HMAC secret, or the public key. */
  key: KeyObject;
  /** The public JWK of an asymmetric key; none for an HMAC secret. */
  jwk?: PublicJwk;
}

/** The signing key and every verification key of one kind of token, built once at start-up. */
export interface ResolvedKey {
  /** Signs new tokens: an HMAC secret or a private key. */
  key: KeyObject;
  /** Algorithm of `key`. */
  algorithm: JwtAlgorithm;
  /** Key id of `key`, written in every header it signs. */
  kid: string;
  /** Verify tokens: the signing key's own entry first, then the ones kept for a rotation. */
  verifyKeys: ResolvedVerifyKey[];
  /** `verifyKeys` by kid: a token's `kid` selects one of them, nothing else. */
  byKid: ReadonlyMap<string, ResolvedVerifyKey>;
  /** The HMAC secrets among `verifyKeys` (checked at start-up: access and refresh never share one). */
  hmacKeys: ResolvedVerifyKey[];
}
