import { sign, verify, type KeyObject } from 'node:crypto';
import type { Jwt, JwtHeader, JwtPayload } from 'jsonwebtoken';

/** A non-empty base64url segment without padding. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Signs a compact JWS with EdDSA (Ed25519, RFC 8037), which jsonwebtoken does not support. The
 * header is written as given (the caller puts `alg: 'EdDSA'`, `typ` and `kid` in it).
 */
export function signEdDsa(header: object, payload: object, privateKey: KeyObject): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/**
 * Checks the Ed25519 signature of a compact JWS and decodes it, as jsonwebtoken's `complete`
 * verify would. Throws `invalid signature` for a signature that does not verify (so that the
 * caller may try another key), another error for a malformed token. Claims are the caller's.
 */
export function verifyEdDsa(token: string, publicKey: KeyObject): Jwt {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) {
    throw new Error('jwt malformed');
  }
  const [header, payload, signature] = parts;
  const bytes = Buffer.from(signature, 'base64url');
  // Only the canonical encoding of a 64-byte signature: no second spelling of one token.
  if (bytes.length !== ED25519_SIGNATURE_BYTES || bytes.toString('base64url') !== signature) {
    throw new Error('invalid signature');
  }
  if (!verify(null, Buffer.from(`${header}.${payload}`), publicKey, bytes)) {
    throw new Error('invalid signature');
  }
  const decodedHeader = decodeObject(header);
  const decodedPayload = decodeObject(payload);
  if (!decodedHeader || !decodedPayload) throw new Error('jwt malformed');
  return {
    header: decodedHeader as unknown as JwtHeader,
    payload: decodedPayload as JwtPayload,
    signature,
  };
}

/** The decoded header of a compact JWT, or `undefined` when it is no JSON object. */
export function readJwtHeader(token: string): Record<string, unknown> | undefined {
  const end = token.indexOf('.');
  return end > 0 ? decodeObject(token.slice(0, end)) : undefined;
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeObject(segment: string): Record<string, unknown> | undefined {
  if (!SEGMENT.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
