import { newSessionId, randomId } from '../../src/store/session-id.js';
import { sessionHashKey, sessionKeys } from '../../src/store/redis/redis-keys.js';

describe('sessionHashKey (the hot path of readLive)', () => {
  it('names the same HASH as sessionKeys for every id this module makes', () => {
    for (const user of ['alice', 'ü}{:x', 'a'.repeat(128), '12345', 'user@example.com']) {
      const sessionId = newSessionId(user);
      expect(sessionHashKey('sess:', sessionId)).toBe(sessionKeys('sess:', sessionId)?.session);
    }
  });

  it.each([
    ['no dot', `YWxpY2U${randomId()}`],
    ['a brace in the user part', `YWxp{2U.${randomId()}`],
    ['a colon in the random part', `YWxpY2U.${randomId().slice(1)}:`],
    ['a short random part', `YWxpY2U.${randomId().slice(1)}`],
    ['a newline at the end', `YWxpY2U.${randomId()}\n`],
    ['a user part over 171 characters', `${'A'.repeat(172)}.${randomId()}`],
    ['two dots', `YWxp.Y2U.${randomId()}`],
    ['an empty user part', `.${randomId()}`],
  ])('names no key for an id with %s', (_, sessionId) => {
    expect(sessionHashKey('sess:', sessionId)).toBeNull();
  });

  it('names no key for what is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['a.b']]) {
      expect(sessionHashKey('sess:', value as unknown as string)).toBeNull();
    }
  });
});
