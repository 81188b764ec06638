/**
 * Secrets that tutorials, framework docs and sample apps publish, long enough to pass a length
 * check (shorter ones are refused by length anyway). Compared case-insensitively.
 */
const PUBLISHED_SECRETS = new Set([
  'your-256-bit-secret-your-256-bit-secret',
  'your-512-bit-secret-your-512-bit-secret',
  'thisisaverylongsecretkeythatshouldbechanged',
  'this-is-a-very-long-secret-key-that-should-be-changed',
  'mysupersecretkeythatnobodyknowsabout',
  'my-super-secret-key-that-nobody-knows-about',
  'supersecretkeyyoushouldnotcommittogithub',
  'super-secret-key-you-should-not-commit-to-github',
  'a-string-secret-at-least-256-bits-long',
  'my_jwt_secret_key_that_is_long_enough_for_hs256',
  'secretkeyforjwtsigningthatisatleast32byteslong',
  'do-not-use-this-secret-in-production-please-change',
]);

/** Words that mark a value as a placeholder someone forgot to replace. */
const PLACEHOLDER_WORDS = [
  'changeme',
  'change-me',
  'change_me',
  'change-this',
  'change_this',
  'changethis',
  'replace-me',
  'replace_me',
  'replaceme',
  'your-256-bit-secret',
  'your-secret',
  'your_secret',
  'yoursecret',
  'placeholder',
  'example',
  'default',
  'insecure',
  'not-secret',
  'notsecret',
  'xxxxxxxx',
];

/** Fewer distinct bytes than this is no random secret (e.g. `aaaa…`, `0101…`). */
const MIN_DISTINCT_BYTES = 10;

/**
 * Why a secret looks weak or default, or `undefined` when it does not. Heuristics, not proof of
 * strength: a secret from `npx nest-redis-sessions-secret` (48 random bytes) always passes.
 */
export function secretWeakness(secret: Buffer): string | undefined {
  const text = secret.toString('latin1').toLowerCase();
  if (PUBLISHED_SECRETS.has(text)) return 'is a published example secret';
  const word = PLACEHOLDER_WORDS.find((w) => text.includes(w));
  if (word) return `looks like a placeholder (contains "${word}")`;
  if (new Set(secret).size < MIN_DISTINCT_BYTES) return 'has too few distinct characters';
  if (repeatsShortPattern(secret)) return 'repeats a short pattern';
  if (longestAscendingRun(secret) * 2 >= secret.length) return 'is mostly a run like "abcdef…"';
  return undefined;
}

/** Whether the bytes are one pattern of at most 16 bytes repeated (`abcabcabc…`). */
function repeatsShortPattern(bytes: Buffer): boolean {
  for (let period = 1; period <= 16 && period * 2 <= bytes.length; period += 1) {
    let repeats = true;
    for (let i = period; i < bytes.length && repeats; i += 1) {
      repeats = bytes[i] === bytes[i - period];
    }
    if (repeats) return true;
  }
  return false;
}

/** Length of the longest run of consecutive ascending bytes (`0123…`, `abcd…`). */
function longestAscendingRun(bytes: Buffer): number {
  let longest = bytes.length > 0 ? 1 : 0;
  let run = 1;
  for (let i = 1; i < bytes.length; i += 1) {
    run = bytes[i] === bytes[i - 1] + 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return longest;
}
