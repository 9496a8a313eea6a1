-- Read one inbox's state in one round trip, trimming expired window entries.
-- KEYS[1]  hydrated marker (STRING)
-- KEYS[2]  rotation (ZSET agent → sequence)
-- KEYS[3…] one window ZSET per agent, in the order of ARGV[3…]
-- ARGV[1]  unused (kept for symmetry with record)
-- ARGV[2]  cutoff in ms: entries at or before it have left the window
-- ARGV[3…] agent ids
-- Returns {marker or "", {rotation sequence per agent}, {window count per agent}}
local marker = redis.call('GET', KEYS[1])
local ranks = {}
local counts = {}
for i = 3, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[2])
  counts[#counts + 1] = redis.call('ZCARD', KEYS[i])
  local score = redis.call('ZSCORE', KEYS[2], ARGV[i])
  ranks[#ranks + 1] = score or '0'
end
return {marker or '', ranks, counts}
