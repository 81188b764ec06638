import type { SessionClaims } from './claim.types.js';

/** An access token that passed every check, as remembered. */
export interface VerifiedAccess {
  readonly userId: string;
  readonly sessionId: string;
  readonly role: string | undefined;
  /** The token's custom claims (frozen: copy before handing out). */
  readonly claims: Readonly<SessionClaims>;
  /** The token's `exp`, in ms. */
  readonly expiresAtMs: number;
  /** From this instant on the token is refused (`exp` plus the clock tolerance), in ms. */
  readonly refusedFromMs: number;
}

/**
 * Access tokens already verified and checked, by the token itself. A client presents the same
 * access token on every request of its lifetime: a hit skips the decode, the signature and the
 * claim checks, and is refused from its expiry on like any other token. Only tokens that passed
 * every check are kept, so a stream of forged ones evicts nothing that was not already bound to
 * go; the oldest entry goes first past `maxEntries`. The session itself is still read on every
 * request: revocation never depends on this.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedAccess>();

  constructor(private readonly maxEntries: number) {}

  /** The remembered token, unless unknown or refused at `now`. */
  get(token: string, now: number): VerifiedAccess | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined || now < entry.refusedFromMs) return entry;
    this.entries.delete(token);
    return undefined;
  }

  remember(token: string, verified: VerifiedAccess): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    Object.freeze(verified.claims);
    this.entries.set(token, Object.freeze(verified));
  }
}
