/**
 * Lua scripts of the Redis repository. Each read-then-write runs as one script: atomic under any
 * concurrency and one round trip. All keys a script touches share the user's hash tag, so they
 * live in one Cluster slot. Registered once with `defineCommand` (EVALSHA).
 *
 * Session hash fields: u user id, r role, c claims JSON, j current refresh jti, pj previous jti,
 * pt when pj was retired (ms), ca created, ls last seen, ie idle expiry, ae absolute expiry (ms),
 * ua ub uc ud the user agent in pieces of at most 64 bytes (a longer value would turn the hash from
 * a compact listpack into a hashtable and double its memory), ip, at the last credential check
 * (login or markFresh, ms; absent in sessions stored by older versions: read as ca). A session key
 * always has PEXPIREAT min(ie, ae); the index key always has PEXPIREAT of its highest score, so it
 * outlives every session it lists and nothing more.
 *
 * Index scores are the session's expiry, min(ie, ae), plus 0.5 when the absolute expiry is the one
 * that ends it: so an expired entry, pruned after Redis has silently deleted its hash, still says
 * whether the idle or the absolute timeout ended the session (reported as `session.revoked`).
 */

/** Fields in the order every script returns them. */
export const SESSION_FIELDS = [
  'u',
  'r',
  'c',
  'j',
  'pj',
  'pt',
  'ca',
  'ls',
  'ie',
  'ae',
  'ua',
  'ip',
  'ub',
  'uc',
  'ud',
  'at',
] as const;

const FIELDS_LUA = SESSION_FIELDS.map((f) => `'${f}'`).join(', ');

/**
 * A write whose caller has already given up (command timeout: it answered 503) must not happen
 * later, when a stalled Redis wakes up: a login would evict a live session for one nobody holds,
 * a rotation would turn the client's retry into a "reuse". The caller passes its deadline in
 * Redis's clock (epoch ms, 0 = none); past it the script changes nothing and answers 'late'.
 */
const TOO_LATE = `
local function too_late(deadline)
  if deadline == 0 then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline
end
`;

// Stores the user agent pieces ub, uc, ud (ua is set with the other fields); an empty piece is
// not stored, and deleted only where the session had one (`had` holds the old values or false).
const SET_UA_PIECES = `
local function set_ua_pieces(key, pieces, had)
  for i, field in ipairs({ 'ub', 'uc', 'ud' }) do
    if pieces[i] ~= '' then
      redis.call('HSET', key, field, pieces[i])
    elseif had[i] then
      redis.call('HDEL', key, field)
    end
  end
end
`;

// The index score of a session: its expiry, plus 0.5 when the absolute expiry ends it.
const INDEX_SCORE = `
local function index_score(idle, absolute)
  if idle < absolute then return string.format('%.0f', idle) end
  return string.format('%.0f', absolute) .. '.5'
end
`;

// prune: removes the index entries expired at now; returns them as {member, score, ...}.
// drop_gone: removes the entry of a session whose hash Redis has already expired (its clock may
// run ahead of the caller's now) and adds it to such a list. Revocations delete the hash and the
// entry together, so an entry without its hash is an expiry.
const PRUNE = `
local function prune(index, now)
  local gone = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'WITHSCORES')
  for i = 1, #gone, 2 do redis.call('ZREM', index, gone[i]) end
  return gone
end
local function drop_gone(index, member, list)
  local score = redis.call('ZSCORE', index, member)
  if redis.call('ZREM', index, member) == 1 and score then
    table.insert(list, member)
    table.insert(list, score)
  end
end
`;

// Re-applies the index TTL from its highest score (the latest session expiry).
const EXPIRE_INDEX = `
local function expire_index(index)
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  -- floor: a score's .5 (absolute expiry) is a flag, not time
  if top[2] then redis.call('PEXPIREAT', index, string.format('%.0f', math.floor(tonumber(top[2])))) end
end
`;

/**
 * KEYS: session, index. ARGV: random part, now, max sessions, key base, then u r c j ca ls ie ae ua
 * ip, then the deadline, then ub uc ud at. Returns {evicted random parts, pruned index entries
 * (member, score, ...)}, or 'late'.
 */
export const CREATE_SCRIPT = `${EXPIRE_INDEX}${TOO_LATE}${SET_UA_PIECES}${INDEX_SCORE}${PRUNE}
if too_late(tonumber(ARGV[15])) then return 'late' end
local now = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local base = ARGV[4]
local expires = math.min(tonumber(ARGV[11]), tonumber(ARGV[12]))
local pruned = prune(KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'u', ARGV[5], 'r', ARGV[6], 'c', ARGV[7], 'j', ARGV[8], 'pj', '',
  'pt', '0', 'ca', ARGV[9], 'ls', ARGV[10], 'ie', ARGV[11], 'ae', ARGV[12], 'ua', ARGV[13],
  'ip', ARGV[14], 'at', ARGV[19])
set_ua_pieces(KEYS[1], { ARGV[16], ARGV[17], ARGV[18] }, { false, false, false })
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', expires))
redis.call('ZADD', KEYS[2], index_score(tonumber(ARGV[11]), tonumber(ARGV[12])), ARGV[1])
local evicted = {}
if max > 0 and redis.call('ZCARD', KEYS[2]) > max then
  local others = {}
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if member ~= ARGV[1] then
      local created = redis.call('HGET', base .. member, 'ca')
      if created then
        table.insert(others, { tonumber(created), member })
      else
        drop_gone(KEYS[2], member, pruned)
      end
    end
  end
  table.sort(others, function(a, b)
    if a[1] == b[1] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  for i = 1, #others + 1 - max do
    redis.call('DEL', base .. others[i][2])
    redis.call('ZREM', KEYS[2], others[i][2])
    table.insert(evicted, others[i][2])
  end
end
expire_index(KEYS[2])
return { evicted, pruned }
`;

/**
 * KEYS: session, index. ARGV: random part, presented jti, next jti, now, grace ms, idle ms, ua, ip,
 * deadline, ub, uc, ud. Returns {'rotated', fields...}, {'grace', fields...}, {'reused', user id},
 * {'expired', user id, ie, ae} (found past its expiry, deleted and taken out of the index),
 * {'missing'} or {'late'}.
 */
export const ROTATE_SCRIPT = `${EXPIRE_INDEX}${TOO_LATE}${SET_UA_PIECES}${INDEX_SCORE}
if too_late(tonumber(ARGV[9])) then return { 'late' } end
local f = redis.call('HMGET', KEYS[1], ${FIELDS_LUA})
if not f[1] then return { 'missing' } end
local now = tonumber(ARGV[4])
local absolute = tonumber(f[10])
local idle = tonumber(f[9])
if not absolute or not idle or now >= math.min(idle, absolute) then
  redis.call('DEL', KEYS[1])
  -- Reported once: by whoever removes its index entry (here, or a prune).
  local indexed = redis.call('ZREM', KEYS[2], ARGV[1])
  if not absolute or not idle or indexed == 0 then return { 'missing' } end
  return { 'expired', f[1], f[9], f[10] }
end
if f[4] == ARGV[2] then
  local next_idle = now + tonumber(ARGV[6])
  local expires = math.min(next_idle, absolute)
  local next_idle_s = string.format('%.0f', next_idle)
  redis.call('HSET', KEYS[1], 'pj', f[4], 'pt', ARGV[4], 'j', ARGV[3], 'ie', next_idle_s,
    'ls', ARGV[4], 'ua', ARGV[7], 'ip', ARGV[8])
  set_ua_pieces(KEYS[1], { ARGV[10], ARGV[11], ARGV[12] }, { f[13], f[14], f[15] })
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', expires))
  redis.call('ZADD', KEYS[2], index_score(next_idle, absolute), ARGV[1])
  expire_index(KEYS[2])
  f[5] = f[4]
  f[6] = ARGV[4]
  f[4] = ARGV[3]
  f[8] = ARGV[4]
  f[9] = next_idle_s
  f[11] = ARGV[7]
  f[12] = ARGV[8]
  f[13] = ARGV[10]
  f[14] = ARGV[11]
  f[15] = ARGV[12]
  return { 'rotated', unpack(f) }
end
local retired = tonumber(f[6]) or 0
if f[5] ~= '' and f[5] == ARGV[2] and now - retired < tonumber(ARGV[5]) then
  return { 'grace', unpack(f) }
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return { 'reused', f[1] }
`;

/**
 * KEYS: session, index. ARGV: random part. Returns 1 when the session existed. The entry of a
 * session whose hash Redis has already expired stays, for a prune to report that expiry.
 */
export const REVOKE_SCRIPT = `
local n = redis.call('DEL', KEYS[1])
if n == 1 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return n
`;

/**
 * KEYS: index. ARGV: key base, random part to keep (or ''), now. Returns {deleted random parts,
 * pruned index entries (member, score, ...)}.
 */
export const REVOKE_ALL_SCRIPT = `${PRUNE}
local pruned = prune(KEYS[1], ARGV[3])
local deleted = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if member ~= ARGV[2] then
    if redis.call('DEL', ARGV[1] .. member) == 1 then
      table.insert(deleted, member)
      redis.call('ZREM', KEYS[1], member)
    else
      drop_gone(KEYS[1], member, pruned)
    end
  end
end
return { deleted, pruned }
`;

/**
 * KEYS: session. ARGV: authenticated-at, now. Sets at of a session live at now; never creates
 * one (a plain HSET on a missing key would make an immortal hash). Returns 1 when updated, else 0.
 */
export const MARK_FRESH_SCRIPT = `
local f = redis.call('HMGET', KEYS[1], 'ie', 'ae')
local idle = tonumber(f[1])
local absolute = tonumber(f[2])
if not idle or not absolute or tonumber(ARGV[2]) >= math.min(idle, absolute) then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1])
return 1
`;

/**
 * KEYS: index. ARGV: key base, random part ('' = every session in the index), now, set role ('1'
 * or '0'), role, set claims ('1' or '0'), claims. Updates the sessions live at now (never creates
 * one). Returns how many were updated.
 */
export const UPDATE_CLAIMS_SCRIPT = `
local members = { ARGV[2] }
if ARGV[2] == '' then members = redis.call('ZRANGE', KEYS[1], 0, -1) end
local now = tonumber(ARGV[3])
local fields = {}
if ARGV[4] == '1' then table.insert(fields, 'r') table.insert(fields, ARGV[5]) end
if ARGV[6] == '1' then table.insert(fields, 'c') table.insert(fields, ARGV[7]) end
local n = 0
for _, member in ipairs(members) do
  local key = ARGV[1] .. member
  local f = redis.call('HMGET', key, 'ie', 'ae')
  local idle = tonumber(f[1])
  local absolute = tonumber(f[2])
  if idle and absolute and now < math.min(idle, absolute) then
    if #fields > 0 then redis.call('HSET', key, unpack(fields)) end
    n = n + 1
  end
end
return n
`;

/**
 * KEYS: index. ARGV: key base, now. Prunes expired members and returns {{member, {fields...},
 * member, {fields...}, ...} for the live ones, pruned index entries (member, score, ...)}.
 */
export const LIST_SCRIPT = `${PRUNE}
local pruned = prune(KEYS[1], ARGV[2])
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. member, ${FIELDS_LUA})
  if f[1] then
    table.insert(out, member)
    table.insert(out, f)
  else
    drop_gone(KEYS[1], member, pruned)
  end
end
return { out, pruned }
`;
