import {
  MAX_USER_ID_BYTES,
  encodeUserId,
  isValidUserId,
  newSessionId,
  parseSessionId,
  randomId,
} from '../../src/store/session-id.js';

describe('session ids', () => {
  it.each([
    ['a plain id', 'alice'],
    ['braces', '{user}'],
    ['colons', 'tenant:42:user'],
    ['braces and colons', '}{::}{'],
    ['unicode', 'Jürgen Größe ∑ 東京'],
    ['emoji', '👩‍💻🎉'],
    ['a dot', 'first.last'],
    ['spaces and quotes', ` "quoted" 'id' `],
    ['the longest allowed id', 'x'.repeat(MAX_USER_ID_BYTES)],
  ])('round-trips a user id with %s', (_case, userId) => {
    const sessionId = newSessionId(userId);
    const parsed = parseSessionId(sessionId);
    expect(parsed).not.toBeNull();
    expect(parsed?.userId).toBe(userId);
    expect(parsed?.userPart).toBe(encodeUserId(userId));
    expect(sessionId).toBe(`${parsed?.userPart}.${parsed?.randomPart}`);
  });

  it('puts 256 random bits (43 base64url characters) after the user part', () => {
    const { randomPart } = parseSessionId(newSessionId('alice')) ?? { randomPart: '' };
    expect(randomPart).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(randomPart, 'base64url')).toHaveLength(32);
  });

  it('gives two sessions of one user different ids', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newSessionId('alice')));
    expect(ids.size).toBe(50);
  });

  it('makes random ids of 43 base64url characters, each different, across refills of its pool', () => {
    const ids = Array.from({ length: 1000 }, () => randomId()); // the pool holds 128
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(ids).size).toBe(1000);
    // 256 random bits each: every base64url character turns up, about evenly.
    const counts = new Map<string, number>();
    for (const char of ids.join('')) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(64);
    for (const count of counts.values()) expect(count).toBeGreaterThan(400); // mean ~670
  });

  it.each([[undefined], [null], [42], [{}], [['a.b']], [Buffer.from('a.b')]])(
    'does not parse the non-string %p',
    (value) => {
      expect(parseSessionId(value)).toBeNull();
    },
  );

  it('does not parse an id without a dot', () => {
    expect(parseSessionId(`YWxpY2U${randomId()}`)).toBeNull();
    expect(parseSessionId('')).toBeNull();
  });

  it('does not parse an id with an empty user part', () => {
    expect(parseSessionId(`.${randomId()}`)).toBeNull();
  });

  it('does not parse a random part of the wrong length', () => {
    const user = encodeUserId('alice');
    expect(parseSessionId(`${user}.${randomId().slice(1)}`)).toBeNull();
    expect(parseSessionId(`${user}.${randomId()}A`)).toBeNull();
    expect(parseSessionId(`${user}.`)).toBeNull();
  });

  it('does not parse parts outside the base64url alphabet', () => {
    const user = encodeUserId('alice');
    const random = randomId();
    expect(parseSessionId(`${user}.${random.slice(1)}+`)).toBeNull();
    expect(parseSessionId(`${user}=.${random}`)).toBeNull();
    expect(parseSessionId(`al/ce.${random}`)).toBeNull();
    expect(parseSessionId(`${user}.${random}.extra`)).toBeNull();
    expect(parseSessionId(`{alice}.${random}`)).toBeNull();
  });

  it('does not parse a non-canonical user part, so one session has exactly one id', () => {
    // 'YQ' is 'a'; 'YR' decodes to 'a' too (unused low bits set) but is not how 'a' encodes.
    const random = randomId();
    expect(parseSessionId(`YQ.${random}`)?.userId).toBe('a');
    expect(parseSessionId(`YR.${random}`)).toBeNull();
  });

  it('does not parse a user part that is not valid UTF-8', () => {
    const invalid = Buffer.from([0xff, 0xfe]).toString('base64url');
    expect(parseSessionId(`${invalid}.${randomId()}`)).toBeNull();
  });

  it('does not parse an over-long id', () => {
    const random = randomId();
    const tooLongUser = encodeUserId('x'.repeat(MAX_USER_ID_BYTES + 1));
    expect(parseSessionId(`${tooLongUser}.${random}`)).toBeNull();
    expect(parseSessionId(`${'A'.repeat(10_000)}.${random}`)).toBeNull();
  });

  it.each([['{user}'], ['a:b'], ['}{:'], ['{'.repeat(100)], ['ü{:}']])(
    'encodes %p without braces or colons (safe inside a hash tag)',
    (userId) => {
      const encoded = encodeUserId(userId);
      expect(encoded).not.toMatch(/[{}:]/);
      expect(newSessionId(userId)).not.toMatch(/[{}:]/);
    },
  );

  it('encodes distinct user ids distinctly', () => {
    const ids = ['a', 'A', 'a ', '{a}', 'a:b', 'a:b:', 'ü', 'u\u0308', '\ufffd'];
    expect(new Set(ids.map(encodeUserId)).size).toBe(ids.length);
  });
});

describe('isValidUserId', () => {
  it('refuses the empty string and non-strings', () => {
    for (const value of ['', undefined, null, 42, {}, ['alice']]) {
      expect(isValidUserId(value)).toBe(false);
    }
  });

  it('accepts 128 bytes and refuses 129', () => {
    expect(isValidUserId('x'.repeat(128))).toBe(true);
    expect(isValidUserId('x'.repeat(129))).toBe(false);
  });

  it('counts multi-byte characters in bytes', () => {
    // 'é' is 2 bytes in UTF-8, '€' 3, '😀' 4.
    expect(isValidUserId('é'.repeat(64))).toBe(true);
    expect(isValidUserId('é'.repeat(65))).toBe(false);
    expect(isValidUserId(`${'€'.repeat(42)}xx`)).toBe(true);
    expect(isValidUserId('€'.repeat(43))).toBe(false);
    expect(isValidUserId('😀'.repeat(32))).toBe(true);
    expect(isValidUserId(`${'😀'.repeat(32)}x`)).toBe(false);
  });

  it('accepts every user id it accepts as a round-trip through a session id', () => {
    for (const userId of ['alice', '{a}:b', 'é'.repeat(64), '😀'.repeat(32)]) {
      expect(isValidUserId(userId)).toBe(true);
      expect(parseSessionId(newSessionId(userId))?.userId).toBe(userId);
    }
  });

  it('refuses a user id with a lone surrogate (UTF-8 turns it into U+FFFD, another user)', () => {
    // '\ud800', '\udfff' and '\ufffd' would all encode to the same user part, so their sessions
    // would share one Redis hash tag and index, and the id would not survive a round trip.
    expect(encodeUserId('\ud800')).toBe(encodeUserId('\ufffd'));
    expect(isValidUserId('\ud800')).toBe(false);
    expect(isValidUserId('a\udfffb')).toBe(false);
  });
});
