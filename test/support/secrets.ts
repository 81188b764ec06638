import { randomBytes } from 'node:crypto';

/** A random ASCII secret of exactly `length` bytes (passes the start-up strength checks). */
export function randomText(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}
