import { Inject, Injectable } from '@nestjs/common';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import { SessionService } from '../session.service.js';
import type { SessionUser } from '../session.types.js';

/** A session made for a test, with the headers a test client sends. */
export interface TestSession {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** `Bearer <access token>`, for the `Authorization` header. */
  authorization: string;
  /** Both cookies, for the `Cookie` header. */
  cookie: string;
}

/**
 * Creates sessions in a test app made with `SessionModule.forTesting()`, so that apps test their
 * own guarded controllers without Redis and without a login route.
 * @example
 * ```ts
 * const session = await moduleRef.get(SessionTestingHelper).login({ id: 'u1', role: 'admin' });
 * await request(app.getHttpServer()).get('/orders').set('Authorization', session.authorization);
 * ```
 */
@Injectable()
export class SessionTestingHelper {
  /** @internal */
  constructor(
    private readonly sessions: SessionService,
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
  ) {}

  /** A live session for `user`, as a login would make it. */
  async login(user: SessionUser): Promise<TestSession> {
    const issued = await this.sessions.create(user);
    const { accessName, refreshName } = this.config.cookies;
    return {
      userId: issued.userId,
      sessionId: issued.sessionId,
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      authorization: `Bearer ${issued.accessToken}`,
      cookie: `${accessName}=${issued.accessToken}; ${refreshName}=${issued.refreshToken}`,
    };
  }
}
