import { HttpException, HttpStatus } from '@nestjs/common';

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
