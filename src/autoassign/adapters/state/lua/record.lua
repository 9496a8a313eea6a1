-- Record a batch's window entries and rotation in one round trip (one reply to parse
-- instead of two per agent). Which entries count is decided by the cutoff load_inbox.lua
-- receives (the rule lives in autoassign.core.windows); here only how long an idle key
-- lives is set (two windows: see redis_store._window_key_ttl_ms).
-- KEYS[1]  rotation (ZSET agent → sequence)
-- KEYS[2…] one window ZSET per agent that received work
-- ARGV[1]  the assignment time in ms (the entries' score)
-- ARGV[2]  each window key's expiry in ms
-- ARGV[3…] for each window key in order: the number of entries, then the conversation
--          ids; then the rotation as (sequence, agent) pairs, applied with ZADD GT
local at, ttl_ms = ARGV[1], ARGV[2]
local pos = 3
local function zadd(key, args, prefix)
  -- unpack() is bounded by Lua's C stack, so add at most 1000 pairs per call
  for first = 1, #args, 2000 do
    local chunk = {unpack(args, first, math.min(first + 1999, #args))}
    if prefix then table.insert(chunk, 1, prefix) end
    redis.call('ZADD', key, unpack(chunk))
  end
end
for i = 2, #KEYS do
  local n = tonumber(ARGV[pos])
  pos = pos + 1
  local args = {}
  for j = 1, n do
    args[#args + 1] = at
    args[#args + 1] = ARGV[pos]
    pos = pos + 1
  end
  zadd(KEYS[i], args, nil)
  redis.call('PEXPIRE', KEYS[i], ttl_ms)
end
local rotation = {}
for j = pos, #ARGV do
  rotation[#rotation + 1] = ARGV[j]
end
if #rotation > 0 then
  zadd(KEYS[1], rotation, 'GT')
end
return 1
