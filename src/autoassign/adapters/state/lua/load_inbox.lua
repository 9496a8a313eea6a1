-- Read one inbox's state in one round trip, trimming expired window entries.
-- The window rule (which entries still count) lives in autoassign.core.windows; this
-- script only applies the cutoff it is given and never computes one.
-- KEYS[1]  hydrated marker (STRING)
-- KEYS[2]  rotation (ZSET agent → sequence)
-- KEYS[3…] one window ZSET per agent, in the order of ARGV[2…]
-- ARGV[1]  cutoff in ms (core.windows.window_cutoff_ms): entries at or before it have
--          left the window
-- ARGV[2…] agent ids
-- Returns {marker or "", {rotation sequence per agent}, {window count per agent}}
local marker = redis.call('GET', KEYS[1])
local cutoff = ARGV[1]
local ranks = {}
local counts = {}
for i = 3, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
  counts[#counts + 1] = redis.call('ZCARD', KEYS[i])
  local score = redis.call('ZSCORE', KEYS[2], ARGV[i - 1])
  ranks[#ranks + 1] = score or '0'
end
return {marker or '', ranks, counts}
