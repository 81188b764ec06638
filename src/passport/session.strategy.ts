import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { SessionVerifier } from '../guards/session-verifier.js';
import type { CookieRequest } from '../http/http.types.js';
import type { SessionPrincipal } from '../tokens/token.types.js';

let registered = 0;

type Verify = (request: CookieRequest, done: (error: unknown, user?: unknown) => void) => void;

/**
 * A passport strategy that hands the whole request to its verify callback. Each instance has a
 * name of its own: passport keeps one process-wide registry, and two apps in one process (tests,
 * workers) must never verify with each other's keys and store.
 */
class RequestStrategy extends passport.Strategy {
  constructor(private readonly verify: Verify) {
    super();
    registered += 1;
    this.name = `nest-redis-sessions-${registered}`;
  }

  override authenticate(request: CookieRequest): void {
    this.verify(request, (error, user) => {
      // A 401 is a failure, so that passport tries the next strategy of a chain; a cross-site
      // refusal (403) or a store outage (503) ends it.
      if (user) this.success(user);
      else if (!error || isUnauthorized(error)) this.fail(401);
      else this.error(error);
    });
  }
}

/**
 * The session check as a passport strategy, for apps that compose passport strategies: the same
 * pipeline as `AccessGuard` (Bearer or cookie, the same-site rule, verify, live session), whose
 * principal becomes `request.user`. Registered by `SessionPassportModule` under `this.name`
 * (unique per app): compose it with `super({ defaultStrategy: [strategy.name, 'api-key'] })` in
 * a guard extending `AuthGuard()` that injects this strategy (a request without a valid session
 * token fails over to the next strategy; a cross-site cookie or a store outage does not).
 */
@Injectable()
export class SessionPassportStrategy extends PassportStrategy(RequestStrategy) {
  /** @internal */
  constructor(private readonly verifier: SessionVerifier) {
    super();
  }

  /** The principal of the request's live session; throws 401, 403 or 503 otherwise. */
  validate(request: CookieRequest): Promise<SessionPrincipal> {
    return this.verifier.authenticate(request);
  }
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof HttpException && error.getStatus() === HttpStatus.UNAUTHORIZED;
}
