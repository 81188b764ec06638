import { encodeUserId, parseSessionId } from '../session-id.js';

/**
 * The keys of a user, under the key prefix (default `sess:`): every key of one user starts with
 * `<prefix>{<user part>}:`, `<user part>` being the base64url user id, so that they all share one
 * Redis Cluster hash tag (one slot) and any user id is safe in a key.
 */
export interface UserKeys {
  /** The encoded user id: the hash tag, and the part of a session id before the dot. */
  userPart: string;
  /** `<prefix>{<user part>}:`, the start of every key of the user. */
  base: string;
  /** The user's index: a ZSET of the random parts of their session ids, scored by expiry. */
  index: string;
}

/** The keys of one session: its user's keys, its HASH, and its member in the user's index. */
export interface SessionKeys extends UserKeys {
  /** The session HASH, `<base><random part>`. */
  session: string;
  /** The random part of the session id: the session's member in the index. */
  member: string;
  /** The user id (decoded from the session id). */
  userId: string;
}

/** The keys of a user. */
export function userKeys(keyPrefix: string, userId: string): UserKeys {
  return keysOfUserPart(keyPrefix, encodeUserId(userId));
}

/** The keys of a session, or `null` when the id is not one this module made. */
export function sessionKeys(keyPrefix: string, sessionId: string): SessionKeys | null {
  const parts = parseSessionId(sessionId);
  if (!parts) return null;
  const user = keysOfUserPart(keyPrefix, parts.userPart);
  return {
    userPart: user.userPart,
    base: user.base,
    index: user.index,
    session: user.base + parts.randomPart,
    member: parts.randomPart,
    userId: parts.userId,
  };
}

/** A session id's shape: `<base64url user id>.<43 base64url characters>`. */
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{1,171}\.[A-Za-z0-9_-]{43}$/;

/**
 * The HASH key of a session alone, for the hot path (`readLive`): the id's shape is checked, not
 * its decoding, since a non-canonical spelling names a key that does not exist anyway.
 */
export function sessionHashKey(keyPrefix: string, sessionId: string): string | null {
  if (typeof sessionId !== 'string' || !SESSION_ID_SHAPE.test(sessionId)) return null;
  const dot = sessionId.indexOf('.');
  return `${keyPrefix}{${sessionId.slice(0, dot)}}:${sessionId.slice(dot + 1)}`;
}

/** The session id of a member of a user's index. */
export function sessionIdOf(userPart: string, member: string): string {
  return `${userPart}.${member}`;
}

function keysOfUserPart(keyPrefix: string, userPart: string): UserKeys {
  const base = `${keyPrefix}{${userPart}}:`;
  return { userPart, base, index: `${base}index` };
}
