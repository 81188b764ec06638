import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';

/** Injection token of the access secret, exactly as the sample app's config holds it. */
export const BENCH_ACCESS_SECRET = Symbol('BENCH_ACCESS_SECRET');

/** What both strategies put on `request.user`. */
export interface BenchJwtUser {
  userId: string;
  sessionId: string;
}

/** passport-jwt's `validate`: no session check at all, as in most hand-written guards. */
function toUser(payload: { sub?: unknown; sid?: unknown }): BenchJwtUser {
  return { userId: String(payload.sub), sessionId: String(payload.sid) };
}

/**
 * The JWT strategy users write by hand (the `@nestjs/passport` recipe): Bearer header, the secret
 * as a string, no revocation check. jsonwebtoken tries to parse a string secret as a PEM key on
 * every verification before using it as an HMAC key.
 */
@Injectable()
export class BenchStringSecretStrategy extends PassportStrategy(Strategy, 'bench-jwt-string') {
  constructor(@Inject(BENCH_ACCESS_SECRET) secret: string | Buffer) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: secret,
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub?: unknown; sid?: unknown }): BenchJwtUser {
    return toUser(payload);
  }
}

/** The same hand-written strategy with the secret as a `KeyObject` made once at start-up. */
@Injectable()
export class BenchKeyObjectStrategy extends PassportStrategy(Strategy, 'bench-jwt-key') {
  constructor(@Inject(BENCH_ACCESS_SECRET) secret: string | Buffer) {
    const key = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // jsonwebtoken takes the KeyObject; passport-jwt's typings only list string | Buffer.
      secretOrKey: key as unknown as Buffer,
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub?: unknown; sid?: unknown }): BenchJwtUser {
    return toUser(payload);
  }
}
