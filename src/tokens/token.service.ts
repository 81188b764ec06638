import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Algorithm, Jwt, JwtPayload, VerifyOptions } from 'jsonwebtoken';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import { SessionUnauthorizedException } from '../session.exceptions.js';
import type { IssuedTokens } from '../session.types.js';
import { isValidUserId, parseSessionId, randomId } from '../store/session-id.js';
import type { SessionRecord } from '../store/session-record.js';
import { readTokenClaims } from './claims.js';
import { readJwtHeader, signEdDsa, verifyEdDsa } from './eddsa-jwt.js';
import type { JwtAlgorithm, ResolvedKey, ResolvedVerifyKey } from './key.types.js';
import type {
  AccessTokenPayload,
  RefreshPrincipal,
  RefreshTokenPayload,
  SessionPrincipal,
  SignedToken,
} from './token.types.js';
import { MAX_TOKEN_LENGTH } from './token.types.js';

const ACCESS_TYP = 'at+jwt';
const REFRESH_TYP = 'JWT';
const JTI = /^[A-Za-z0-9_-]{43}$/;
/**
 * The only header fields this module writes; any other (jwk, jku, x5u, x5c, crit) is refused, so
 * a token can never bring or point at its own key.
 */
const HEADER_FIELDS = new Set(['alg', 'typ', 'kid']);

/** What to sign into an access token. */
type AccessClaims = Pick<SessionRecord, 'userId' | 'sessionId' | 'role' | 'claims'>;

/**
 * The only place that signs or verifies a JWT. Keys are `KeyObject`s built once at start-up
 * (a string secret would be re-parsed as PEM on every call); every header carries the `kid` of
 * the key that signed it, and a `kid` only selects among the configured keys, each pinned to its
 * own algorithm; the header `typ` and the `type` claim tell access from refresh tokens; every
 * required claim is checked. EdDSA, which jsonwebtoken lacks, is signed and verified with
 * `node:crypto`; the other algorithms go through `@nestjs/jwt`.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
  ) {}

  /**
   * The token pair of a session record: an access token with its role and claims, and a refresh
   * token for its current rotation id. Neither outlives the session.
   */
  issue(record: SessionRecord, now: number): IssuedTokens {
    const notAfter = Math.min(record.absoluteExpiresAt, record.idleExpiresAt);
    const access = this.signAccess(record, now, notAfter);
    const refresh = this.signRefresh(
      record.userId,
      record.sessionId,
      record.currentJti,
      now,
      notAfter,
    );
    return {
      sessionId: record.sessionId,
      userId: record.userId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.expiresAt,
    };
  }

  /** Signs an access token; it never outlives `notAfter` (the session's expiry). */
  signAccess(claims: AccessClaims, now: number, notAfter: number): SignedToken {
    const exp = this.expiry(now, this.config.access.ttlMs, notAfter);
    const payload = {
      ...claims.claims,
      sub: claims.userId,
      sid: claims.sessionId,
      jti: randomId(),
      type: 'access',
      ...(claims.role ? { role: claims.role } : {}),
      ...this.registered(now, exp),
    };
    return {
      token: this.sign(payload, this.config.access, ACCESS_TYP),
      expiresAt: new Date(exp * 1000),
    };
  }

  /** Signs a refresh token carrying the session's current rotation id. */
  signRefresh(
    userId: string,
    sessionId: string,
    jti: string,
    now: number,
    notAfter: number,
  ): SignedToken {
    const exp = this.expiry(now, this.config.refresh.ttlMs, notAfter);
    const payload = {
      sub: userId,
      sid: sessionId,
      jti,
      type: 'refresh',
      ...this.registered(now, exp),
    };
    return {
      token: this.sign(payload, this.config.refresh, REFRESH_TYP),
      expiresAt: new Date(exp * 1000),
    };
  }

  /** Verifies an access token. Throws `SessionUnauthorizedException` on any failure. */
  verifyAccess(token: string): SessionPrincipal {
    return this.checkAccess(this.verify(token, this.config.access));
  }

  /** Verifies a refresh token. Throws `SessionUnauthorizedException` on any failure. */
  verifyRefresh(token: string): RefreshPrincipal {
    return this.checkRefresh(this.verify(token, this.config.refresh));
  }

  /** Checks the header and claims of a signature-verified access token. */
  private checkAccess(decoded: Jwt): SessionPrincipal {
    const payload = this.checkCommon(
      decoded,
      ACCESS_TYP,
      'access',
      this.config.access,
    ) as AccessTokenPayload;
    if (payload.role !== undefined && typeof payload.role !== 'string') throw unauthorized();
    const claims = readTokenClaims(payload, this.config.customClaims);
    if (!claims) throw unauthorized();
    return {
      userId: payload.sub,
      sessionId: payload.sid,
      role: payload.role,
      claims,
      accessTokenExpiresAt: new Date(payload.exp * 1000),
    };
  }

  /** Checks the header and claims of a signature-verified refresh token. */
  private checkRefresh(decoded: Jwt): RefreshPrincipal {
    const payload = this.checkCommon(
      decoded,
      REFRESH_TYP,
      'refresh',
      this.config.refresh,
    ) as RefreshTokenPayload;
    return {
      kind: 'refresh',
      userId: payload.sub,
      sessionId: payload.sid,
      jti: payload.jti,
      expiresAt: new Date(payload.exp * 1000),
    };
  }

  private sign(payload: object, key: ResolvedKey, typ: string): string {
    const header = { alg: key.algorithm, typ, kid: key.kid };
    if (key.algorithm === 'EdDSA') return signEdDsa(header, payload, key.key);
    return this.jwt.sign(payload, {
      privateKey: key.key,
      algorithm: key.algorithm,
      header,
    });
  }

  private verify(token: string, key: ResolvedKey): Jwt {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw unauthorized();
    for (const candidate of candidateKeys(readJwtHeader(token), key)) {
      try {
        return this.verifyWith(token, candidate);
      } catch (error) {
        // Another key may have signed it (a secret being rotated); any other failure is final.
        if (!isBadSignature(error)) break;
      }
    }
    throw unauthorized();
  }

  private verifyWith(token: string, candidate: ResolvedVerifyKey): Jwt {
    if (candidate.algorithm === 'EdDSA') return verifyEdDsa(token, candidate.key);
    // JwtService types `secret` as string | Buffer; jsonwebtoken itself takes the KeyObject.
    return this.jwt.verify<Jwt>(token, {
      ...this.verifyOptions([candidate.algorithm]),
      secret: candidate.key as unknown as Buffer,
    });
  }

  private verifyOptions(algorithms: JwtAlgorithm[]): VerifyOptions & { complete: true } {
    return {
      // jsonwebtoken's Algorithm type has no EdDSA (EdDSA tokens go through verifyEdDsa).
      algorithms: algorithms as Algorithm[],
      complete: true,
      clockTolerance: this.config.clockToleranceMs / 1000,
      ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
      ...(this.config.audience ? { audience: this.config.audience } : {}),
    };
  }

  /**
   * The checks every token passes after its signature, whoever verified it: jsonwebtoken already
   * pinned the algorithm and checked exp/nbf/iss/aud, and they are checked again here, because
   * EdDSA tokens are verified by `node:crypto`, which checks no claim.
   */
  private checkCommon(
    decoded: Jwt,
    typ: string,
    type: string,
    key: ResolvedKey,
  ): JwtPayload & { sid: string } {
    const { header, payload } = decoded ?? {};
    if (
      !header ||
      header.typ !== typ ||
      Object.keys(header).some((k) => !HEADER_FIELDS.has(k)) ||
      candidateKeys(header, key).length === 0
    ) {
      throw unauthorized();
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw unauthorized();
    const { issuer, audience } = this.config;
    if ((issuer && payload.iss !== issuer) || (audience && payload.aud !== audience)) {
      throw unauthorized();
    }
    const { sub, sid, jti, exp, iat, nbf } = payload;
    const session = parseSessionId(sid);
    const nowSeconds = Date.now() / 1000;
    const tolerance = this.config.clockToleranceMs / 1000;
    // jsonwebtoken checks exp and nbf (with the same rounding), but EdDSA skips jsonwebtoken.
    const clock = Math.floor(nowSeconds);
    if (
      !Number.isInteger(exp) ||
      clock >= (exp as number) + tolerance ||
      (nbf !== undefined && (typeof nbf !== 'number' || nbf > clock + tolerance))
    ) {
      throw unauthorized();
    }
    if (
      payload.type !== type ||
      !isValidUserId(sub) ||
      !session ||
      session.userId !== sub ||
      typeof jti !== 'string' ||
      !JTI.test(jti) ||
      !Number.isInteger(iat) ||
      (iat as number) > nowSeconds + tolerance
    ) {
      throw unauthorized();
    }
    return payload as JwtPayload & { sid: string };
  }

  private registered(now: number, exp: number): Record<string, string | number> {
    return {
      iat: Math.floor(now / 1000),
      exp,
      ...(this.config.issuer ? { iss: this.config.issuer } : {}),
      ...(this.config.audience ? { aud: this.config.audience } : {}),
    };
  }

  /** Expiry in seconds: `now + ttl`, never past `notAfter`. */
  private expiry(now: number, ttlMs: number, notAfter: number): number {
    return Math.floor(Math.min(now + ttlMs, notAfter) / 1000);
  }
}

/**
 * The configured key that may have signed a token with this header: the key its `kid` names, when
 * that key has the header's algorithm. Nothing else: a header never brings a key.
 */
function candidateKeys(header: unknown, key: ResolvedKey): readonly ResolvedVerifyKey[] {
  if (typeof header !== 'object' || header === null) return [];
  const { alg, kid } = header as { alg?: unknown; kid?: unknown };
  const entry = typeof kid === 'string' ? key.byKid.get(kid) : undefined;
  return entry && entry.algorithm === alg ? [entry] : [];
}

function isBadSignature(error: unknown): boolean {
  return error instanceof Error && error.message === 'invalid signature';
}

function unauthorized(): SessionUnauthorizedException {
  return new SessionUnauthorizedException();
}
