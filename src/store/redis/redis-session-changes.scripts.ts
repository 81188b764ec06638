import {
  ANNOUNCE_LUA,
  argsLua,
  FIELDS_LUA,
  INDEX_LUA,
  IS_LIVE_LUA,
  KEY_PARTS_LUA,
  PRUNE_LUA,
  script,
  WRITE_FIELDS_LUA,
} from './redis-session.lua.js';

/**
 * The scripts that end or change a live session: revoke, revokeAll, markFresh, updateClaims. Each
 * announces its change (see `ANNOUNCE_LUA`), only when it made one. Conventions: see
 * `redis-session.scripts.ts`.
 */

/** KEYS: session, index. No slots. */
export const REVOKE_ARGS = [] as const;

/** KEYS: index. `keep` is the member not to revoke, or ''. */
export const REVOKE_ALL_ARGS = ['keep', 'now'] as const;

/** KEYS: session. `at` is the new authenticated-at. */
export const MARK_FRESH_ARGS = ['at', 'now'] as const;

/**
 * KEYS: index. `member` '' targets every session of the user. `set_role`/`set_claims` are '1' to
 * write `r`/`c`, '0' to leave that field unchanged.
 */
export const UPDATE_CLAIMS_ARGS = ['member', 'now', 'set_role', 'r', 'set_claims', 'c'] as const;

/** Keys deleted by one command in `revokeAll` (Lua's unpack takes a few thousand at most). */
const REVOKE_BATCH = 500;

/**
 * Deletes a session and its index entry, announced. Returns 1 when the session existed. The entry
 * of a session whose hash Redis has already expired stays, for a prune to report that expiry.
 */
export const REVOKE_LUA = script(
  [KEY_PARTS_LUA, ANNOUNCE_LUA],
  `local n = redis.call('DEL', KEYS[1])
if n == 1 then
  redis.call('ZREM', KEYS[2], MEMBER)
  announce_session(MEMBER)
end
return n
`,
);

/**
 * Deletes every session of the user but `keep`, announced once. Returns {deleted members, pruned
 * index entries (member, score, ...)}. Works in batches: one EXISTS tells whether every hash of a
 * batch is still there (then one UNLINK ends them all); only a batch with a hash Redis has already
 * expired goes key by key, to report that one as expired, not revoked.
 */
export const REVOKE_ALL_LUA = script(
  [KEY_PARTS_LUA, argsLua(REVOKE_ALL_ARGS), INDEX_LUA, PRUNE_LUA, ANNOUNCE_LUA],
  `local pruned = prune(KEYS[1], A.now)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local deleted = {}
local function revoke_batch(names, keys)
  if redis.call('EXISTS', unpack(keys)) == #keys then
    redis.call('UNLINK', unpack(keys))
    for i = 1, #names do deleted[#deleted + 1] = names[i] end
    return
  end
  for i = 1, #keys do
    if redis.call('DEL', keys[i]) == 1 then
      deleted[#deleted + 1] = names[i]
    else
      drop_gone(KEYS[1], names[i], pruned)
    end
  end
end
local names, keys = {}, {}
for i = 1, #members do
  if members[i] ~= A.keep then
    names[#names + 1] = members[i]
    keys[#keys + 1] = BASE .. members[i]
  end
  if #keys == ${REVOKE_BATCH} or (i == #members and #keys > 0) then
    revoke_batch(names, keys)
    names, keys = {}, {}
  end
end
-- Every entry but keep's is gone: one UNLINK of the index, keep's entry put back.
if #deleted > 0 then
  local kept = A.keep ~= '' and redis.call('ZSCORE', KEYS[1], A.keep)
  redis.call('UNLINK', KEYS[1])
  if kept then
    redis.call('ZADD', KEYS[1], kept, A.keep)
    expire_index(KEYS[1])
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
  [
    FIELDS_LUA,
    KEY_PARTS_LUA,
    argsLua(MARK_FRESH_ARGS),
    IS_LIVE_LUA,
    WRITE_FIELDS_LUA,
    ANNOUNCE_LUA,
  ],
  `if not live_key(KEYS[1], tonumber(A.now)) then return 0 end
write_fields(KEYS[1], {}, { at = A.at })
announce_session(MEMBER)
return 1
`,
);

/**
 * Writes the role and/or claims of the sessions live at `now` (never creates one), announced when
 * something was written. Returns how many were updated.
 */
export const UPDATE_CLAIMS_LUA = script(
  [
    FIELDS_LUA,
    KEY_PARTS_LUA,
    argsLua(UPDATE_CLAIMS_ARGS),
    IS_LIVE_LUA,
    WRITE_FIELDS_LUA,
    ANNOUNCE_LUA,
  ],
  `local changes = {}
if A.set_role == '1' then changes.r = A.r end
if A.set_claims == '1' then changes.c = A.c end
local members = { A.member }
if A.member == '' then members = redis.call('ZRANGE', KEYS[1], 0, -1) end
local now = tonumber(A.now)
local n = 0
for _, member in ipairs(members) do
  local key = BASE .. member
  if live_key(key, now) then
    write_fields(key, { [F.r] = true, [F.c] = true }, changes)
    n = n + 1
  end
end
if n > 0 and next(changes) then
  if A.member == '' then announce_user() else announce_session(A.member) end
end
return n
`,
);
