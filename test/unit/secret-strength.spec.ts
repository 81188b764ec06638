import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { secretWeakness } from '../../src/config/secret-strength.js';

describe('secretWeakness', () => {
  it('passes every secret made like `npm run secret` (48 random bytes, base64url)', () => {
    for (let i = 0; i < 500; i += 1) {
      const secret = Buffer.from(randomBytes(48).toString('base64url'));
      expect(secretWeakness(secret)).toBeUndefined();
    }
  });

  it('passes raw random bytes', () => {
    for (let i = 0; i < 200; i += 1) expect(secretWeakness(randomBytes(32))).toBeUndefined();
  });

  it.each([
    ['a published example', 'your-256-bit-secret-your-256-bit-secret', 'published'],
    ['a published example in capitals', 'THISISAVERYLONGSECRETKEYTHATSHOULDBECHANGED', 'published'],
    ['a placeholder', 'please-changeme-before-going-to-production-1234', 'changeme'],
    ['a placeholder word', 'Default-Jwt-Access-Key-For-Local-Dev-9f8e7d6c', 'default'],
    ['one repeated character', 'a'.repeat(64), 'distinct'],
    ['few distinct characters', '0101010101012121212121212323232323', 'distinct'],
    ['a repeated pattern', '0123456789ABCDEF0123456789ABCDEF', 'pattern'],
    ['a repeated word', 'sEcReT-kEy!'.repeat(4), 'pattern'],
    ['mostly an alphabet run', 'abcdefghijklmnopqrstuvwxyz012345', 'run'],
    ['a keyboard-ordered run with a tail', '0123456789:;<=>?@ABCDEFGHIJ-tail', 'run'],
  ])('flags %s', (_name, secret, why) => {
    expect(secretWeakness(Buffer.from(secret))).toContain(why);
  });

  it('never repeats the secret in its reason', () => {
    const secret = 'my-placeholder-value-for-the-access-token-key';
    const reason = secretWeakness(Buffer.from(secret));
    expect(reason).toBeDefined();
    expect(reason).not.toContain(secret);
  });
});

describe('nest-redis-sessions-secret (npm run secret)', () => {
  it('prints a fresh 48-byte base64url secret that start-up accepts', () => {
    const run = (): string =>
      execFileSync(process.execPath, ['bin/nest-redis-sessions-secret.js'], {
        encoding: 'utf8',
      }).trim();
    const [first, second] = [run(), run()];
    expect(first).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(Buffer.from(first, 'base64url')).toHaveLength(48);
    expect(first).not.toBe(second);
    expect(secretWeakness(Buffer.from(first))).toBeUndefined();
  });
});
