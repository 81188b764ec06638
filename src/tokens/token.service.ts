import { Inject, Injectable } from '@nestjs/common';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import { SessionUnauthorizedException } from '../session.exceptions.js';
import type { IssuedTokens } from '../session.types.js';
import { isValidUserId, parseSessionId, randomId } from '../store/session-id.js';
import type { SessionRecord } from '../store/session-record.js';
import { readTokenClaims } from './claims.js';
import { JwtCodec, type DecodedJwt } from './jwt-codec.js';
import { VerifiedTokens, type VerifiedAccess } from './verified-tokens.js';
import type { ResolvedKey, ResolvedVerifyKey } from './key.types.js';
import type {
  AccessTokenPayload,
  RefreshPrincipal,
  RefreshTokenPayload,
  SessionPrincipal,
  SignedToken,
} from './token.types.js';
import { MAX_TOKEN_LENGTH } from './token.types.js';

const ACCESS_TYP = 'at+jwt';
/** Access tokens remembered once verified: a few MB at most (see `VerifiedTokens`). */
const VERIFIED_TOKENS = 4096;
const REFRESH_TYP = 'JWT';
const JTI = /^[A-Za-z0-9_-]{43}$/;
/**
 * The only header fields this module writes; any other (jwk, jku, x5u, x5c, crit) is refused, so
 * a token can never bring or point at its own key.
 */
const HEADER_FIELDS = new Set(['alg', 'typ', 'kid']);

/** The registered claims every token of this module carries, once checked. */
type CheckedPayload = Record<string, unknown> & {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
  iat: number;
};

/** What to sign into an access token. */
type AccessClaims = Pick<SessionRecord, 'userId' | 'sessionId' | 'role' | 'claims'>;

/**
 * The only place that signs or verifies a JWT. Keys are `KeyObject`s built once at start-up
 * (a string secret would be re-parsed as PEM on every call); every header carries the `kid` of
 * the key that signed it, and a `kid` only selects among the configured keys, each pinned to its
 * own algorithm; the header `typ` and the `type` claim tell access from refresh tokens; every
 * required claim is checked, by fast-jwt (signature, algorithm, exp, nbf, iss, aud) and again
 * here (every claim this module relies on).
 */
@Injectable()
export class TokenService {
  private readonly access: JwtCodec;
  private readonly refresh: JwtCodec;
  private readonly verified = new VerifiedTokens(VERIFIED_TOKENS);

  constructor(@Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig) {
    const checks = {
      issuer: config.issuer,
      audience: config.audience,
      clockToleranceMs: config.clockToleranceMs,
    };
    this.access = new JwtCodec(config.access, ACCESS_TYP, checks);
    this.refresh = new JwtCodec(config.refresh, REFRESH_TYP, checks);
  }

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
      token: this.access.sign(payload),
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
      token: this.refresh.sign(payload),
      expiresAt: new Date(exp * 1000),
    };
  }

  /** Verifies an access token. Throws `SessionUnauthorizedException` on any failure. */
  verifyAccess(token: string): SessionPrincipal {
    const verified = this.checkedAccess(token);
    return {
      userId: verified.userId,
      sessionId: verified.sessionId,
      role: verified.role,
      claims: { ...verified.claims },
      accessTokenExpiresAt: new Date(verified.expiresAtMs),
    };
  }

  /**
   * What a valid access token says, remembered for its next use (see `VerifiedTokens`): shared
   * and frozen, for callers that build their own principal from it.
   */
  checkedAccess(token: string): VerifiedAccess {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw unauthorized();
    const known = this.verified.get(token, Date.now());
    if (known) return known;
    const verified = this.checkAccess(verifyWith(this.access, token));
    this.verified.remember(token, verified);
    return verified;
  }

  /** Verifies a refresh token. Throws `SessionUnauthorizedException` on any failure. */
  verifyRefresh(token: string): RefreshPrincipal {
    return this.checkRefresh(verifyWith(this.refresh, token));
  }

  /** Checks the header and claims of a signature-verified access token. */
  private checkAccess(decoded: DecodedJwt): VerifiedAccess {
    const payload = this.checkCommon(
      decoded,
      ACCESS_TYP,
      'access',
      this.config.access,
    ) as unknown as AccessTokenPayload;
    if (payload.role !== undefined && typeof payload.role !== 'string') throw unauthorized();
    const claims = readTokenClaims(payload, this.config.customClaims);
    if (!claims) throw unauthorized();
    return {
      userId: payload.sub,
      sessionId: payload.sid,
      role: payload.role,
      claims,
      expiresAtMs: payload.exp * 1000,
      // checkCommon's rule: refused once floor(now / 1 s) >= exp + tolerance.
      refusedFromMs: Math.ceil(payload.exp + this.config.clockToleranceMs / 1000) * 1000,
    };
  }

  /** Checks the header and claims of a signature-verified refresh token. */
  private checkRefresh(decoded: DecodedJwt): RefreshPrincipal {
    const payload = this.checkCommon(
      decoded,
      REFRESH_TYP,
      'refresh',
      this.config.refresh,
    ) as unknown as RefreshTokenPayload;
    return {
      kind: 'refresh',
      userId: payload.sub,
      sessionId: payload.sid,
      jti: payload.jti,
      expiresAt: new Date(payload.exp * 1000),
    };
  }

  /**
   * The checks every token passes after its signature. fast-jwt already pinned the algorithm
   * and checked exp/nbf/iss/aud; they are checked again here, the one home of this module's
   * rules, so that no library option can loosen them.
   */
  private checkCommon(
    decoded: DecodedJwt,
    typ: string,
    type: string,
    key: ResolvedKey,
  ): CheckedPayload {
    const { header, payload } = decoded ?? {};
    if (
      !header ||
      header.typ !== typ ||
      Object.keys(header).some((k) => !HEADER_FIELDS.has(k)) ||
      !isKeyOf(header, key)
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
    return payload as CheckedPayload;
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
 * Whether the header names a configured key (`kid`) with that key's algorithm. Nothing else: a
 * header never brings a key.
 */
function isKeyOf(header: Record<string, unknown>, key: ResolvedKey): boolean {
  const { alg, kid } = header;
  const entry: ResolvedVerifyKey | undefined =
    typeof kid === 'string' ? key.byKid.get(kid) : undefined;
  return entry !== undefined && entry.algorithm === alg;
}

/** The decoded token, or a 401: a token no configured key signed is as good as none. */
function verifyWith(codec: JwtCodec, token: string): DecodedJwt {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw unauthorized();
  try {
    return codec.verify(token);
  } catch {
    throw unauthorized();
  }
}

function unauthorized(): SessionUnauthorizedException {
  return new SessionUnauthorizedException();
}
