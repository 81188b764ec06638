import { parseSessionId } from '../session-id.js';
import { isLiveAt, type ExpiredSession, type SessionRecord } from '../session-record.js';
import { sessionIdOf } from './redis-keys.js';
import { toNumber, toRecord, unpackListed } from './redis-session.hash.js';

/**
 * Readers of the scripts' replies (`redis-session.scripts.ts`). Every part of a reply is checked
 * before use: what is not of the expected shape is left out, never a throw.
 */

/** The strings of a reply that should be a list of them (anything else is left out). */
export function strings(reply: unknown): string[] {
  return Array.isArray(reply)
    ? reply.filter((item): item is string => typeof item === 'string')
    : [];
}

/** The parts of a reply that should be a list (none when it is not one). */
export function items(reply: unknown): unknown[] {
  return Array.isArray(reply) ? (reply as unknown[]) : [];
}

/** The session in an HMGET reply of `FIELDS` (from `reply[from]`), if it is one and live at `now`. */
export function liveRecord(
  sessionId: string,
  userId: string,
  reply: readonly unknown[],
  now: number,
  from = 0,
): SessionRecord | null {
  const record = toRecord(sessionId, userId, reply, from);
  return record && isLiveAt(record.idleExpiresAt, record.absoluteExpiresAt, now) ? record : null;
}

/**
 * The sessions live at `now` in the list script's reply: `member, packed, role, ip, user agent`
 * for each (see `unpackListed`).
 */
export function liveRecords(
  userPart: string,
  userId: string,
  reply: readonly unknown[],
  now: number,
): SessionRecord[] {
  const records: SessionRecord[] = [];
  for (let i = 0; i + 4 < reply.length; i += 5) {
    const [member, packed] = [reply[i], reply[i + 1]];
    if (typeof member !== 'string' || typeof packed !== 'string') continue;
    const fields = unpackListed(packed, reply[i + 2], reply[i + 3], reply[i + 4]);
    const record = liveRecord(sessionIdOf(userPart, member), userId, fields, now);
    if (record) records.push(record);
  }
  return records;
}

/**
 * The sessions of pruned index entries (`member, score, ...`): a score's .5 says the absolute
 * timeout ended the session (see `INDEX_LUA`).
 */
export function expiredOfPruned(userPart: string, pruned: unknown): ExpiredSession[] {
  const entries = strings(pruned);
  const expired: ExpiredSession[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    const sessionId = sessionIdOf(userPart, entries[i]);
    const score = Number(entries[i + 1]);
    const userId = parseSessionId(sessionId)?.userId;
    if (userId === undefined || !Number.isFinite(score)) continue;
    const expiredAt = Math.floor(score);
    const reason = score > expiredAt ? 'absolute' : 'idle';
    expired.push({ sessionId, userId, reason, expiredAt });
  }
  return expired;
}

/** The session a rotation found expired, from `[idle expiry, absolute expiry]`. */
export function expiredOfRotation(
  sessionId: string,
  userId: string,
  reply: unknown[],
): ExpiredSession[] {
  const [idle, absolute] = reply;
  const idleAt = typeof idle === 'string' ? toNumber(idle) : NaN;
  const absoluteAt = typeof absolute === 'string' ? toNumber(absolute) : NaN;
  if (!Number.isFinite(Math.min(idleAt, absoluteAt))) return [];
  const reason = idleAt < absoluteAt ? 'idle' : 'absolute';
  return [{ sessionId, userId, reason, expiredAt: reason === 'idle' ? idleAt : absoluteAt }];
}
