import { compactUserAgent, expandUserAgent } from '../../src/store/redis/redis-user-agent.js';

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];

describe('the stored form of a user agent', () => {
  it.each(BROWSERS)('keeps a browser user agent in at most 40 bytes: %s', (userAgent) => {
    const stored = compactUserAgent(userAgent);
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(40);
    expect(expandUserAgent(stored)).toBe(userAgent);
  });

  it.each([
    ['empty', ''],
    ['plain text', 'curl/8.5.0'],
    ['control characters', 'a\x01b\tc\x00d\x1f Chrome/1'],
    ['a leading NUL', '\x00Chrome/'],
    ['multi-byte characters', 'ü€😀 Safari/537.36 ü'],
  ])('gives back %s exactly', (_, userAgent) => {
    expect(expandUserAgent(compactUserAgent(userAgent))).toBe(userAgent);
    expect(expandUserAgent(compactUserAgent(userAgent))).toBe(userAgent); // from the memo
  });
});
