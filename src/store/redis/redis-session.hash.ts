import type { SessionClaims } from '../../tokens/claim.types.js';
import { isClaimValue } from '../../tokens/claims.js';
import { isLiveAt, type LiveSession, type SessionRecord } from '../session-record.js';
import { expandUserAgent } from './redis-user-agent.js';

/**
 * The fields of a session HASH: the one table of their names, for the TypeScript and the Lua
 * (`redis-session.lua.ts` generates its `FIELDS` and `F` from it). Times are epoch ms.
 *
 * Every byte counts here (a session costs its hash, its key and its index entry, times the number
 * of sessions): the user id is not stored (the key's hash tag and the session id carry it), a field
 * that would be empty is not stored (`OPTIONAL_FIELDS`: no role, no claims, no previous jti yet),
 * and `at` is stored only once it differs from `ca` (a `markFresh` after the login). The user
 * agent is stored compacted (`redis-user-agent.ts`) in pieces of at most 64 bytes (`ua`, then
 * `ub`, `uc`, `ud`, the last taking whatever remains; the scripts cut it, never inside a
 * character): a longer value would turn the hash from a compact listpack into a hashtable and
 * double its memory.
 */
export const FIELD = {
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

/** Fields not stored when empty. */
export const OPTIONAL_FIELDS: readonly Field[] = [
  FIELD.role,
  FIELD.claims,
  FIELD.previousJti,
  FIELD.previousRetiredAt,
  FIELD.authenticatedAt,
  ...USER_AGENT_PIECES,
];

/**
 * The fields the list script joins into one string per session (with NUL between them, '' for an
 * absent one), as an answer of many small strings costs the client far more to read than a few
 * longer ones. None can hold a NUL: ids, times, and claims as JSON (which escapes it). The role,
 * the ip and the user agent, which may, come as strings of their own.
 */
export const PACKED_FIELDS: readonly Field[] = [
  FIELD.claims,
  FIELD.currentJti,
  FIELD.previousJti,
  FIELD.previousRetiredAt,
  FIELD.createdAt,
  FIELD.lastSeenAt,
  FIELD.idleExpiresAt,
  FIELD.absoluteExpiresAt,
  FIELD.authenticatedAt,
];

/** What `readLive` reads, in this order (`ca` stands for an absent `at`). */
export const LIVE_FIELDS = [
  FIELD.idleExpiresAt,
  FIELD.absoluteExpiresAt,
  FIELD.role,
  FIELD.claims,
  FIELD.authenticatedAt,
  FIELD.createdAt,
] as const;

/** A value as Redis answers it: a string, or `null` for an absent field. */
export type Reply = string | null;

/** Where each field is in a reply of `FIELDS`. */
const AT = {
  r: FIELDS.indexOf(FIELD.role),
  c: FIELDS.indexOf(FIELD.claims),
  j: FIELDS.indexOf(FIELD.currentJti),
  pj: FIELDS.indexOf(FIELD.previousJti),
  pt: FIELDS.indexOf(FIELD.previousRetiredAt),
  ca: FIELDS.indexOf(FIELD.createdAt),
  ls: FIELDS.indexOf(FIELD.lastSeenAt),
  ie: FIELDS.indexOf(FIELD.idleExpiresAt),
  ae: FIELDS.indexOf(FIELD.absoluteExpiresAt),
  at: FIELDS.indexOf(FIELD.authenticatedAt),
  ip: FIELDS.indexOf(FIELD.ip),
  ua: FIELDS.indexOf(FIELD.userAgent),
};

const PACKED_AT = PACKED_FIELDS.map((field) => FIELDS.indexOf(field));

/** The stored `at` of a session authenticated at `authenticatedAt`: '' (not stored) when at login. */
export function storedAuthenticatedAt(authenticatedAt: number, createdAt: number): number | '' {
  return authenticatedAt === createdAt ? '' : authenticatedAt;
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

/**
 * A session from the fields of an HMGET of `FIELDS` (or a script's reply in that order), read from
 * `reply[from]` on, or `null` when a required field is missing or not a number: such a hash is
 * not a session.
 */
export function toRecord(
  sessionId: string,
  userId: string,
  reply: readonly unknown[],
  from = 0,
): SessionRecord | null {
  const currentJti = reply[from + AT.j];
  const createdAt = timeAt(reply, from + AT.ca);
  const record: SessionRecord = {
    sessionId,
    userId,
    claims: decodeClaims(textAt(reply, from + AT.c)),
    currentJti: typeof currentJti === 'string' ? currentJti : '',
    previousJti: textAt(reply, from + AT.pj) ?? '',
    previousRetiredAt: reply[from + AT.pt] === null ? 0 : timeAt(reply, from + AT.pt),
    createdAt,
    lastSeenAt: timeAt(reply, from + AT.ls),
    idleExpiresAt: timeAt(reply, from + AT.ie),
    absoluteExpiresAt: timeAt(reply, from + AT.ae),
    authenticatedAt: reply[from + AT.at] === null ? createdAt : timeAt(reply, from + AT.at),
    userAgent: userAgentAt(reply, from + AT.ua),
    ip: textAt(reply, from + AT.ip) ?? '',
  };
  if (
    typeof currentJti !== 'string' ||
    !Number.isFinite(record.previousRetiredAt) ||
    !Number.isFinite(createdAt) ||
    !Number.isFinite(record.lastSeenAt) ||
    !Number.isFinite(record.idleExpiresAt) ||
    !Number.isFinite(record.absoluteExpiresAt) ||
    !Number.isFinite(record.authenticatedAt)
  ) {
    return null;
  }
  const role = reply[from + AT.r];
  if (typeof role === 'string' && role !== '') record.role = role;
  return record;
}

/** The live view in an HMGET reply of `LIVE_FIELDS`, or `null` when not live at `now`. */
export function toLiveSession(reply: readonly Reply[], now: number): LiveSession | null {
  const [idle, absolute, role, claims, at, createdAt] = reply;
  const idleExpiresAt = toNumber(idle);
  const absoluteExpiresAt = toNumber(absolute);
  const authenticatedAt = toNumber(at ?? createdAt);
  if (!isLiveAt(idleExpiresAt, absoluteExpiresAt, now) || !Number.isFinite(authenticatedAt)) {
    return null;
  }
  const live: LiveSession = {
    claims: decodeClaims(claims),
    authenticatedAt,
    expiresAt: Math.min(idleExpiresAt, absoluteExpiresAt),
  };
  if (role) live.role = role;
  return live;
}

/**
 * The fields of one session of the list script's reply (`packed`, role, ip, user agent) in the
 * order of `FIELDS`, as `toRecord` reads them: an empty packed field is an absent one.
 */
export function unpackListed(
  packed: string,
  role: unknown,
  ip: unknown,
  userAgent: unknown,
): unknown[] {
  const fields = new Array<unknown>(FIELDS.length).fill(null);
  const values = packed.split('\0');
  for (let i = 0; i < PACKED_AT.length; i += 1) fields[PACKED_AT[i]] = values[i] || null;
  fields[AT.r] = role;
  fields[AT.ip] = ip;
  fields[AT.ua] = userAgent;
  return fields;
}

/** A stored number, or NaN for an absent or empty field. */
export function toNumber(value: Reply | undefined): number {
  return value === null || value === undefined || value === '' ? NaN : Number(value);
}

function textAt(reply: readonly unknown[], at: number): Reply {
  const value = reply[at];
  return typeof value === 'string' ? value : null;
}

function timeAt(reply: readonly unknown[], at: number): number {
  return toNumber(textAt(reply, at));
}

/** The user agent whose first piece is at `reply[first]`: its pieces joined, expanded. */
function userAgentAt(reply: readonly unknown[], first: number): string {
  let stored = '';
  for (let i = first; i < first + USER_AGENT_PIECES.length; i += 1) {
    stored += textAt(reply, i) ?? '';
  }
  return expandUserAgent(stored);
}
