-- Read one inbox's state in one round trip.
-- The window rule (which entries still count) lives in autoassign.core.windows; this
-- script only applies the cutoffs it is given and never computes one. Counting never
-- deletes: only entries at or before the trim cutoff (a whole window older) are removed,
-- so a batch whose clock is a little behind still counts every entry it must.
-- KEYS[1]  hydrated marker (STRING "<window seconds>:<run_id of the server that rebuilt it>")
-- KEYS[2]  rotation (ZSET agent → sequence)
-- KEYS[3…] one window ZSET per agent, in the order of ARGV[3…]
-- ARGV[1]  cutoff in ms (core.windows.window_cutoff_ms): entries at or before it have
--          left the window
-- ARGV[2]  trim cutoff in ms (core.windows.trim_before_ms)
-- ARGV[3…] agent ids
-- Returns {marker or "", this server's run_id, {rotation per agent}, {count per agent},
--          {oldest counted entry per agent, "0" if none}}
-- The run_id changes whenever the server restarts, also from a snapshot that kept the
-- marker but lost later entries: a marker of another run_id means "rebuild".
local run_id = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
local marker = redis.call('GET', KEYS[1])
local after = '(' .. ARGV[1]
local trim = ARGV[2]
local ranks, counts, oldest = {}, {}, {}
for i = 3, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', trim)
  counts[#counts + 1] = redis.call('ZCOUNT', KEYS[i], after, '+inf')
  local first = redis.call('ZRANGEBYSCORE', KEYS[i], after, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  oldest[#oldest + 1] = first[2] or '0'
  local score = redis.call('ZSCORE', KEYS[2], ARGV[i])
  ranks[#ranks + 1] = score or '0'
end
return {marker or '', run_id, ranks, counts, oldest}
