import type { SessionClaims } from '../../tokens/claim.types.js';
import { isClaimValue } from '../../tokens/claims.js';
import {
  isLiveAt,
  type LiveSession,
  type NewSessionRecord,
  type SessionRecord,
} from '../session-record.js';

/**
 * The fields of a session HASH: the one table of their names, for the TypeScript and the Lua
 * (`redis-session.lua.ts` generates its `FIELDS` and `F` from it). Times are epoch ms.
 *
 * The user agent is kept in pieces of at most 64 bytes (`ua`, then `ub`, `uc`, `ud`, the last
 * taking whatever remains): a longer value would turn the hash from a compact listpack into a
 * hashtable and double its memory. An empty piece past the first is not stored. The role is ''
 * when the session has none; the claims are JSON, or '' when there are none.
 */
export const FIELD = {
  userId: 'u',
  role: 'r',
  claims: 'c',
  currentJti: 'j',
  previousJti: 'pj',
  previousRetiredAt: 'pt',
  createdAt: 'ca',
  lastSeenAt: 'ls',
  idleExpiresAt: 'ie',
  absoluteExpiresAt: 'ae',
  authenticatedAt: 'at',
  ip: 'ip',
  userAgent: 'ua',
  userAgent2: 'ub',
  userAgent3: 'uc',
  userAgent4: 'ud',
} as const;

/** The name of a field in the session hash. */
export type Field = (typeof FIELD)[keyof typeof FIELD];

/** Every field, in the order of an HMGET of the whole session (and of the scripts' replies). */
export const FIELDS: readonly Field[] = Object.values(FIELD);

/** The user agent's pieces, in order. */
export const USER_AGENT_PIECES = [
  FIELD.userAgent,
  FIELD.userAgent2,
  FIELD.userAgent3,
  FIELD.userAgent4,
] as const;

/** Fields not stored when empty (the user agent past its first piece). */
export const OPTIONAL_FIELDS: readonly Field[] = USER_AGENT_PIECES.slice(1);

/** What `readLive` reads, in this order. */
export const LIVE_FIELDS = [
  FIELD.idleExpiresAt,
  FIELD.absoluteExpiresAt,
  FIELD.role,
  FIELD.claims,
  FIELD.authenticatedAt,
] as const;

/** A value as Redis answers it: a string, or `null` for an absent field. */
export type Reply = string | null;

const POSITION = new Map<Field, number>(FIELDS.map((field, i) => [field, i]));

/** Bytes of a user agent piece: listpack keeps values of up to 64 (hash-max-listpack-value). */
const PIECE_BYTES = 64;

/**
 * The user agent cut into its four pieces, at most 64 bytes each (never inside a character); the
 * last piece takes whatever remains past 192 bytes.
 */
export function userAgentPieces(
  userAgent: string,
): Record<(typeof USER_AGENT_PIECES)[number], string> {
  const pieces = ['', '', '', ''];
  let index = 0;
  let bytes = 0;
  for (const char of userAgent) {
    const size = Buffer.byteLength(char);
    if (bytes + size > PIECE_BYTES && index < pieces.length - 1) {
      index += 1;
      bytes = 0;
    }
    pieces[index] += char;
    bytes += size;
  }
  const [ua, ub, uc, ud] = pieces;
  return { ua, ub, uc, ud };
}

/** The claims as stored: JSON, or '' for none. */
export function encodeClaims(claims: SessionClaims): string {
  return Object.keys(claims).length === 0 ? '' : JSON.stringify(claims);
}

/**
 * The claims of a stored value: `{}` for '' and for anything that is not a JSON object, and only
 * the flat values of one (what `checkClaims` lets in). Never throws.
 */
export function decodeClaims(stored: Reply | undefined): SessionClaims {
  if (!stored) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter(([, value]) => isClaimValue(value)));
}

/** Every field of a new session, as the create script stores it. */
export function toHash(record: NewSessionRecord): Record<Field, string | number> {
  return {
    u: record.userId,
    r: record.role ?? '',
    c: encodeClaims(record.claims),
    j: record.currentJti,
    pj: '',
    pt: 0,
    ca: record.createdAt,
    ls: record.lastSeenAt,
    ie: record.idleExpiresAt,
    ae: record.absoluteExpiresAt,
    at: record.authenticatedAt,
    ip: record.ip,
    ...userAgentPieces(record.userAgent),
  };
}

/**
 * A session from the fields of an HMGET of `FIELDS` (or a script's reply in that order), or
 * `null` when a required field is missing or not a number: such a hash is not a session.
 */
export function toRecord(sessionId: string, reply: readonly unknown[]): SessionRecord | null {
  const text = (field: Field): Reply => {
    const value = reply[POSITION.get(field) ?? -1];
    return typeof value === 'string' ? value : null;
  };
  const time = (field: Field): number => toNumber(text(field));
  const userId = text(FIELD.userId);
  const currentJti = text(FIELD.currentJti);
  const record = {
    sessionId,
    userId: userId ?? '',
    claims: decodeClaims(text(FIELD.claims)),
    currentJti: currentJti ?? '',
    previousJti: text(FIELD.previousJti) ?? '',
    previousRetiredAt: time(FIELD.previousRetiredAt),
    createdAt: time(FIELD.createdAt),
    lastSeenAt: time(FIELD.lastSeenAt),
    idleExpiresAt: time(FIELD.idleExpiresAt),
    absoluteExpiresAt: time(FIELD.absoluteExpiresAt),
    authenticatedAt: time(FIELD.authenticatedAt),
    userAgent: USER_AGENT_PIECES.map((piece) => text(piece) ?? '').join(''),
    ip: text(FIELD.ip) ?? '',
  };
  const times = [
    record.previousRetiredAt,
    record.createdAt,
    record.lastSeenAt,
    record.idleExpiresAt,
    record.absoluteExpiresAt,
    record.authenticatedAt,
  ];
  if (userId === null || currentJti === null || !times.every(Number.isFinite)) return null;
  return withRole(record, text(FIELD.role));
}

/** The live view in an HMGET reply of `LIVE_FIELDS`, or `null` when not live at `now`. */
export function toLiveSession(reply: readonly Reply[], now: number): LiveSession | null {
  const [idle, absolute, role, claims, at] = reply;
  const idleExpiresAt = toNumber(idle);
  const absoluteExpiresAt = toNumber(absolute);
  const authenticatedAt = toNumber(at);
  if (!isLiveAt(idleExpiresAt, absoluteExpiresAt, now) || !Number.isFinite(authenticatedAt)) {
    return null;
  }
  return withRole(
    {
      claims: decodeClaims(claims),
      authenticatedAt,
      expiresAt: Math.min(idleExpiresAt, absoluteExpiresAt),
    },
    role,
  );
}

/** A stored number, or NaN for an absent or empty field. */
export function toNumber(value: Reply | undefined): number {
  return value === null || value === undefined || value === '' ? NaN : Number(value);
}

/** `value` with its `role`, which is left out when the stored role is empty ('' = none). */
function withRole<T extends object>(value: T, role: Reply): T & { role?: string } {
  return role ? { ...value, role } : value;
}
