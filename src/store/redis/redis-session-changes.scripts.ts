import {
  ANNOUNCE_LUA,
  argsLua,
  FIELDS_LUA,
  IS_LIVE_LUA,
  PRUNE_LUA,
  script,
  WRITE_FIELDS_LUA,
} from './redis-session.lua.js';

/**
 * The scripts that end or change a live session: revoke, revokeAll, markFresh, updateClaims. Each
 * announces its change (see `ANNOUNCE_LUA`), only when it made one. Conventions: see
 * `redis-session.scripts.ts`.
 */

/** KEYS: session, index. */
export const REVOKE_ARGS = ['member', 'user', 'channel'] as const;

/** KEYS: index. `keep` is the member not to revoke, or ''. */
export const REVOKE_ALL_ARGS = ['base', 'user', 'keep', 'now', 'channel'] as const;

/** KEYS: session. `at` is the new authenticated-at. */
export const MARK_FRESH_ARGS = ['member', 'user', 'at', 'now', 'channel'] as const;

/**
 * KEYS: index. `member` '' targets every session of the user. `set_role`/`set_claims` are '1' to
 * write `r`/`c`, '0' to leave that field unchanged.
 */
export const UPDATE_CLAIMS_ARGS = [
  'base',
  'user',
  'member',
  'now',
  'channel',
  'set_role',
  'r',
  'set_claims',
  'c',
] as const;

/**
 * Deletes a session and its index entry, announced. Returns 1 when the session existed. The entry
 * of a session whose hash Redis has already expired stays, for a prune to report that expiry.
 */
export const REVOKE_LUA = script(
  [argsLua(REVOKE_ARGS), ANNOUNCE_LUA],
  `local n = redis.call('DEL', KEYS[1])
if n == 1 then
  redis.call('ZREM', KEYS[2], A.member)
  announce_session(A.member)
end
return n
`,
);

/**
 * Deletes every session of the user but `keep`, announced once. Returns {deleted members, pruned
 * index entries (member, score, ...)}.
 */
export const REVOKE_ALL_LUA = script(
  [argsLua(REVOKE_ALL_ARGS), PRUNE_LUA, ANNOUNCE_LUA],
  `local pruned = prune(KEYS[1], A.now)
local deleted = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if member ~= A.keep then
    if redis.call('DEL', A.base .. member) == 1 then
      table.insert(deleted, member)
      redis.call('ZREM', KEYS[1], member)
    else
      drop_gone(KEYS[1], member, pruned)
    end
  end
end
if #deleted > 0 then announce_user() end
return { deleted, pruned }
`,
);

/**
 * Sets `at` of a session live at `now`, announced; never creates one (a plain HSET on a missing
 * key would make an immortal hash). Returns 1 when updated, else 0.
 */
export const MARK_FRESH_LUA = script(
  [FIELDS_LUA, argsLua(MARK_FRESH_ARGS), IS_LIVE_LUA, WRITE_FIELDS_LUA, ANNOUNCE_LUA],
  `if not live_key(KEYS[1], tonumber(A.now)) then return 0 end
write_fields(KEYS[1], {}, { at = A.at })
announce_session(A.member)
return 1
`,
);

/**
 * Writes the role and/or claims of the sessions live at `now` (never creates one), announced when
 * something was written. Returns how many were updated.
 */
export const UPDATE_CLAIMS_LUA = script(
  [FIELDS_LUA, argsLua(UPDATE_CLAIMS_ARGS), IS_LIVE_LUA, WRITE_FIELDS_LUA, ANNOUNCE_LUA],
  `local changes = {}
if A.set_role == '1' then changes.r = A.r end
if A.set_claims == '1' then changes.c = A.c end
local members = { A.member }
if A.member == '' then members = redis.call('ZRANGE', KEYS[1], 0, -1) end
local now = tonumber(A.now)
local n = 0
for _, member in ipairs(members) do
  local key = A.base .. member
  if live_key(key, now) then
    write_fields(key, {}, changes)
    n = n + 1
  end
end
if n > 0 and next(changes) then
  if A.member == '' then announce_user() else announce_session(A.member) end
end
return n
`,
);
