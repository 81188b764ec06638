import { FIELDS, OPTIONAL_FIELDS, PACKED_FIELDS } from './redis-session.hash.js';

/**
 * The pieces the Lua scripts are built from (`redis-session.scripts.ts`): the field table and the
 * named arguments, generated from the TypeScript, and the helpers each script includes.
 */

/** A script argument as ioredis sends it. */
export type ScriptArg = string | number;

/**
 * The arguments of a script, in the order of its named slots: a script never reads `ARGV[n]`,
 * only `A.<name>` (see `argsLua`), and the caller names every value.
 */
export function scriptArgs<Names extends readonly string[]>(
  names: Names,
  values: Record<Names[number], ScriptArg>,
): ScriptArg[] {
  const args: ScriptArg[] = new Array<ScriptArg>(names.length);
  for (let i = 0; i < names.length; i += 1) args[i] = values[names[i] as Names[number]];
  return args;
}

/** Lua: `A.<name>` for every named slot of a script, filled from ARGV (one table literal). */
export function argsLua(names: readonly string[]): string {
  return `local A = { ${names.map((name, i) => `${name} = ARGV[${i + 1}]`).join(', ')} }\n`;
}

/**
 * Lua: what a script knows from its first key (a session key, or the user's index), so that no
 * call sends it again: `BASE`, the start of the user's keys (`<prefix>{<user part>}:`); `USER`,
 * the encoded user id; `CHANNEL`, where changes are announced (`<prefix>revocations`, see
 * `redis-session.channel.ts`); `MEMBER`, the session's member in the index ('' for the index).
 * The key prefix has no braces (checked by the repository), so the first `{` opens the hash tag.
 */
export const KEY_PARTS_LUA = `
local KEY_OPEN = string.find(KEYS[1], '{', 1, true)
local KEY_CLOSE = string.find(KEYS[1], '}', KEY_OPEN, true)
local BASE = string.sub(KEYS[1], 1, KEY_CLOSE + 1)
local USER = string.sub(KEYS[1], KEY_OPEN + 1, KEY_CLOSE - 1)
local CHANNEL = string.sub(KEYS[1], 1, KEY_OPEN - 1) .. 'revocations'
local MEMBER = string.sub(KEYS[1], KEY_CLOSE + 2)
if MEMBER == 'index' then MEMBER = '' end
`;

/**
 * Lua: `FIELDS`, every field of a session hash in HMGET order; `F.<field>`, the position of a field
 * in such a reply (`f[F.j]`); `OPTIONAL[<field>]`, true for a field not stored when empty;
 * `PACKED`, the positions of `PACKED_FIELDS`.
 */
export const FIELDS_LUA = `local FIELDS = { ${FIELDS.map(quote).join(', ')} }
local F = { ${FIELDS.map((field, i) => `${field} = ${i + 1}`).join(', ')} }
local OPTIONAL = { ${OPTIONAL_FIELDS.map((field) => `${field} = true`).join(', ')} }
local PACKED = { ${PACKED_FIELDS.map((field) => `F.${field}`).join(', ')} }
`;

/**
 * The one liveness rule, in Lua (TypeScript: `isLiveAt`): live while `now` is before both the
 * idle and the absolute expiry. `live_key` reads them from a session hash.
 */
export const IS_LIVE_LUA = `
local function is_live(idle, absolute, now)
  idle = tonumber(idle)
  absolute = tonumber(absolute)
  if not idle or not absolute then return false end
  local expires = math.min(idle, absolute)
  return expires < math.huge and now < expires
end
local function live_key(key, now)
  local f = redis.call('HMGET', key, FIELDS[F.ie], FIELDS[F.ae])
  return is_live(f[1], f[2], now)
end
`;

/**
 * A write whose caller has already given up (command timeout: it answered 503) must not happen
 * later, when a stalled Redis wakes up: a login would evict a live session for one nobody holds,
 * a rotation would turn the client's retry into a "reuse". The caller passes its deadline in
 * Redis's clock (epoch ms, 0 = none); past it the script changes nothing and answers 'late'.
 */
export const TOO_LATE_LUA = `
local function too_late(deadline)
  deadline = tonumber(deadline)
  if deadline == 0 then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline
end
`;

/**
 * Writes `changes` (field -> value) into a session hash and into `f`, its HMGET reply (`{}` for a
 * new session); an optional field set to '' is deleted (where the session had it), not stored.
 */
export const WRITE_FIELDS_LUA = `
local function write_fields(key, f, changes)
  local set = {}
  for field, value in pairs(changes) do
    if value == '' and OPTIONAL[field] then
      if f[F[field]] then redis.call('HDEL', key, field) end
      f[F[field]] = false
    else
      set[#set + 1] = field
      set[#set + 1] = value
      f[F[field]] = value
    end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
end
-- The user agent's pieces (ua..ud) of its stored form: at most 64 bytes each, never cut inside
-- a UTF-8 character (so that each piece reads back as text), the last taking what remains.
local CUT_PIECES = { 'ua', 'ub', 'uc' }
local function user_agent_pieces(ua, changes)
  for _, field in ipairs(CUT_PIECES) do
    local n = 64
    if #ua <= n then n = #ua end
    while n > 0 and n < #ua and string.byte(ua, n + 1) >= 128 and string.byte(ua, n + 1) < 192 do
      n = n - 1
    end
    changes[field] = string.sub(ua, 1, n)
    ua = string.sub(ua, n + 1)
  end
  changes.ud = ua
  return changes
end
`;

/**
 * The index score of a session: its expiry, plus 0.5 when the absolute expiry ends it. So an
 * expired entry, pruned after Redis has silently deleted its hash, still says whether the idle or
 * the absolute timeout ended the session. `expire_index` re-applies the index TTL from its highest
 * score (the latest session expiry), so the index outlives every session it lists and no more.
 */
export const INDEX_LUA = `
local function index_score(idle, absolute)
  if idle < absolute then return string.format('%.0f', idle) end
  return string.format('%.0f', absolute) .. '.5'
end
local function expire_index(index)
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  -- floor: a score's .5 (absolute expiry) is a flag, not time
  if top[2] then
    redis.call('PEXPIREAT', index, string.format('%.0f', math.floor(tonumber(top[2]))))
  end
end
`;

/**
 * prune: removes the index entries expired at now; returns them as {member, score, ...}.
 * drop_gone: removes the entry of a session whose hash Redis has already expired (its clock may
 * run ahead of the caller's now) and adds it to such a list. Revocations delete the hash and the
 * entry together, so an entry without its hash is an expiry.
 */
export const PRUNE_LUA = `
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

/**
 * Announcements on `CHANNEL` (see `redis-session.channel.ts`), made by the script that changed
 * what `readLive` answers, only when it did: `s:<session id>` for one session, `u:<user part>`
 * for every session of the user `USER` (the encoded user id). Needs `KEY_PARTS_LUA`.
 */
export const ANNOUNCE_LUA = `
local function announce_session(member)
  redis.call('PUBLISH', CHANNEL, 's:' .. USER .. '.' .. member)
end
local function announce_user()
  redis.call('PUBLISH', CHANNEL, 'u:' .. USER)
end
`;

/** A script: the helpers it uses (the field table and its named slots first), then its body. */
export function script(helpers: string[], body: string): string {
  return helpers.join('') + body;
}

function quote(name: string): string {
  return `'${name}'`;
}
