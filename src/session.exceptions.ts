import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * 401 for every authentication failure: missing, forged, expired, revoked or reused token all get
 * the same body, so that a caller learns nothing about which check failed.
 */
export class SessionUnauthorizedException extends HttpException {
  constructor() {
    super(
      { statusCode: HttpStatus.UNAUTHORIZED, message: 'Unauthorized' },
      HttpStatus.UNAUTHORIZED,
    );
  }
}

/** 403 for a cookie-authenticated write from a foreign origin. */
export class SessionCrossSiteException extends HttpException {
  constructor() {
    super(
      { statusCode: HttpStatus.FORBIDDEN, message: 'Cross-site request refused' },
      HttpStatus.FORBIDDEN,
    );
  }
}

/** 403 for an authenticated caller whose role is not allowed. */
export class SessionForbiddenException extends HttpException {
  constructor() {
    super({ statusCode: HttpStatus.FORBIDDEN, message: 'Forbidden' }, HttpStatus.FORBIDDEN);
  }
}

/** The `code` of `SessionNotFreshException`, for clients to act on (ask for the password again). */
export const SESSION_NOT_FRESH = 'SESSION_NOT_FRESH';

/**
 * 403 for a route marked `@RequireFreshSession()` when the caller's last credential check is too
 * old. Body: `{ statusCode: 403, code: 'SESSION_NOT_FRESH', message }`; the client re-authenticates
 * (e.g. the app's password re-entry route, which calls `SessionService.markFresh()`) and retries.
 */
export class SessionNotFreshException extends HttpException {
  constructor() {
    super(
      {
        statusCode: HttpStatus.FORBIDDEN,
        code: SESSION_NOT_FRESH,
        message: 'Recent authentication required',
      },
      HttpStatus.FORBIDDEN,
    );
  }
}

/** 404 for an unknown session, or one of another user (same answer for both). */
export class SessionNotFoundException extends HttpException {
  constructor() {
    super({ statusCode: HttpStatus.NOT_FOUND, message: 'Session not found' }, HttpStatus.NOT_FOUND);
  }
}

/** 503 when the session store cannot answer: requests fail closed, never with access granted. */
export class SessionStoreUnavailableException extends HttpException {
  constructor(options?: { cause?: unknown }) {
    super(
      { statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: 'Session store unavailable' },
      HttpStatus.SERVICE_UNAVAILABLE,
      options,
    );
  }
}

/** Invalid module options, thrown at start-up. The message names the option, never its value. */
export class SessionConfigError extends Error {
  override readonly name = 'SessionConfigError';
  constructor(option: string, problem: string) {
    super(`SessionModule option "${option}" ${problem}`);
  }
}

/** An invalid argument passed to `SessionService` by the app's code (not by a client). */
export class SessionArgumentError extends Error {
  override readonly name = 'SessionArgumentError';
}
