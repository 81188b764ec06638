import {
  MARK_FRESH_LUA,
  REVOKE_ALL_LUA,
  REVOKE_LUA,
  UPDATE_CLAIMS_LUA,
} from './redis-session-changes.scripts.js';
import {
  ANNOUNCE_LUA,
  argsLua,
  FIELDS_LUA,
  INDEX_LUA,
  IS_LIVE_LUA,
  KEY_PARTS_LUA,
  PRUNE_LUA,
  script,
  TOO_LATE_LUA,
  WRITE_FIELDS_LUA,
} from './redis-session.lua.js';

/**
 * The Lua scripts of the Redis repository. Each read-then-write runs as one script: atomic under
 * any concurrency and one round trip. All keys a script touches share the user's hash tag, so
 * they live in one Cluster slot. Registered once with `defineCommand` (EVALSHA).
 *
 * A session key always has PEXPIREAT min(idle expiry, absolute expiry); the index key always has
 * PEXPIREAT of its highest score (see `INDEX_LUA`). Arguments are named: each script's slots are
 * listed below (`scriptArgs` builds the values in that order, the Lua reads `A.<name>`), the
 * fields of the session hash are the names of `FIELD` (`f[F.<field>]` in a full HMGET reply).
 * The user, the session's member in the index, the start of the user's keys and the channel are
 * read from the first key (`KEY_PARTS_LUA`), never sent. Common slots: `now` the caller's time
 * (ms), `deadline` see `TOO_LATE_LUA`, `ua` the stored form of the user agent (the script cuts it
 * into the hash's pieces).
 */

/** KEYS: session, index. The slots after `deadline` are the values of those fields. */
export const CREATE_ARGS = [
  'now',
  'max',
  'deadline',
  'r',
  'c',
  'j',
  'ca',
  'ls',
  'ie',
  'ae',
  'at',
  'ip',
  'ua',
] as const;

/** KEYS: session, index. `ua` and `ip` are the new values of those fields. */
export const ROTATE_ARGS = [
  'presented',
  'next',
  'now',
  'grace',
  'idle',
  'deadline',
  'ua',
  'ip',
] as const;

/** KEYS: index. */
export const LIST_ARGS = ['now'] as const;

/**
 * Stores a session (fields, TTL, index entry), prunes the expired index entries, and evicts the
 * user's earliest-created sessions beyond `max` (0 = no limit), announcing each. Returns
 * {evicted members, pruned index entries (member, score, ...)}, or 'late'.
 */
const CREATE_LUA = script(
  [
    FIELDS_LUA,
    KEY_PARTS_LUA,
    argsLua(CREATE_ARGS),
    TOO_LATE_LUA,
    WRITE_FIELDS_LUA,
    INDEX_LUA,
    PRUNE_LUA,
    ANNOUNCE_LUA,
  ],
  `local function evict(index, max, pruned)
  local others = {}
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if member ~= MEMBER then
      local created = redis.call('HGET', BASE .. member, FIELDS[F.ca])
      if created then
        table.insert(others, { tonumber(created), member })
      else
        drop_gone(index, member, pruned)
      end
    end
  end
  table.sort(others, function(a, b)
    if a[1] == b[1] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  local evicted = {}
  for i = 1, #others + 1 - max do
    redis.call('DEL', BASE .. others[i][2])
    redis.call('ZREM', index, others[i][2])
    table.insert(evicted, others[i][2])
    announce_session(others[i][2])
  end
  return evicted
end
if too_late(A.deadline) then return 'late' end
local idle = tonumber(A.ie)
local absolute = tonumber(A.ae)
local max = tonumber(A.max)
local pruned = prune(KEYS[2], A.now)
write_fields(KEYS[1], {}, user_agent_pieces(A.ua, {
  r = A.r, c = A.c, j = A.j, ca = A.ca, ls = A.ls, ie = A.ie, ae = A.ae, at = A.at, ip = A.ip,
}))
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.min(idle, absolute)))
redis.call('ZADD', KEYS[2], index_score(idle, absolute), MEMBER)
local evicted = {}
if max > 0 and redis.call('ZCARD', KEYS[2]) > max then evicted = evict(KEYS[2], max, pruned) end
expire_index(KEYS[2])
return { evicted, pruned }
`,
);

/**
 * Rotates, answers within grace, or deletes a replayed session (announced). Returns
 * {'rotated', fields...}, {'grace', fields...}, {'reused'}, {'expired', ie, ae} (found past its
 * expiry, deleted and taken out of the index), {'missing'} or {'late'}.
 */
const ROTATE_LUA = script(
  [
    FIELDS_LUA,
    KEY_PARTS_LUA,
    argsLua(ROTATE_ARGS),
    TOO_LATE_LUA,
    IS_LIVE_LUA,
    WRITE_FIELDS_LUA,
    INDEX_LUA,
    ANNOUNCE_LUA,
  ],
  `local function expire(f)
  redis.call('DEL', KEYS[1])
  -- Reported once: by whoever removes its index entry (here, or a prune).
  local indexed = redis.call('ZREM', KEYS[2], MEMBER)
  if not tonumber(f[F.ie]) or not tonumber(f[F.ae]) or indexed == 0 then return { 'missing' } end
  return { 'expired', f[F.ie], f[F.ae] }
end
local function rotate(f, now)
  local absolute = tonumber(f[F.ae])
  local next_idle = now + tonumber(A.idle)
  write_fields(KEYS[1], f, user_agent_pieces(A.ua, {
    pj = f[F.j], pt = A.now, j = A.next, ie = string.format('%.0f', next_idle), ls = A.now,
    ip = A.ip,
  }))
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.min(next_idle, absolute)))
  redis.call('ZADD', KEYS[2], index_score(next_idle, absolute), MEMBER)
  expire_index(KEYS[2])
  return { 'rotated', unpack(f, 1, #FIELDS) }
end
if too_late(A.deadline) then return { 'late' } end
local f = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if not f[F.j] then return { 'missing' } end
local now = tonumber(A.now)
if not is_live(f[F.ie], f[F.ae], now) then return expire(f) end
if f[F.j] == A.presented then return rotate(f, now) end
local retired = tonumber(f[F.pt]) or 0
if f[F.pj] and f[F.pj] == A.presented and now - retired < tonumber(A.grace) then
  return { 'grace', unpack(f, 1, #FIELDS) }
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], MEMBER)
announce_session(MEMBER)
return { 'reused' }
`,
);

/**
 * Prunes expired members and returns {{member, packed, role, ip, user agent, member, ...} for the
 * live ones (`packed`: the `PACKED_FIELDS` joined by NUL, see there; the user agent's pieces
 * joined), pruned index entries (member, score, ...)}.
 */
const LIST_LUA = script(
  [FIELDS_LUA, KEY_PARTS_LUA, argsLua(LIST_ARGS), PRUNE_LUA],
  `local pruned = prune(KEYS[1], A.now)
local out = {}
local n = 0
local packed = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', BASE .. member, unpack(FIELDS))
  if f[F.j] then
    for i = 1, #PACKED do packed[i] = f[PACKED[i]] or '' end
    out[n + 1] = member
    out[n + 2] = table.concat(packed, '\\0')
    out[n + 3] = f[F.r]
    out[n + 4] = f[F.ip]
    out[n + 5] = (f[F.ua] or '') .. (f[F.ub] or '') .. (f[F.uc] or '') .. (f[F.ud] or '')
    n = n + 5
  else
    drop_gone(KEYS[1], member, pruned)
  end
end
return { out, pruned }
`,
);

/** The scripts by command name, as `defineCommand` takes them. */
export const SCRIPTS = {
  nestRedisSessionsCreate: { numberOfKeys: 2, lua: CREATE_LUA },
  nestRedisSessionsRotate: { numberOfKeys: 2, lua: ROTATE_LUA },
  nestRedisSessionsRevoke: { numberOfKeys: 2, lua: REVOKE_LUA },
  nestRedisSessionsRevokeAll: { numberOfKeys: 1, lua: REVOKE_ALL_LUA },
  nestRedisSessionsList: { numberOfKeys: 1, lua: LIST_LUA },
  nestRedisSessionsMarkFresh: { numberOfKeys: 1, lua: MARK_FRESH_LUA },
  nestRedisSessionsUpdateClaims: { numberOfKeys: 1, lua: UPDATE_CLAIMS_LUA },
} as const;

/** The command name of each script. */
export type ScriptName = keyof typeof SCRIPTS;
