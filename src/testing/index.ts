/**
 * `nest-redis-sessions/testing`: sessions for an app's own tests, with
 * `SessionModule.forTesting()` (in-memory store, random secrets, no Redis).
 */
export { SessionTestingHelper } from './session-testing.helper.js';
export type { TestSession } from './session-testing.helper.js';
