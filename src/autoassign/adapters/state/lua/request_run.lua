-- Trigger side of a run gate.
-- KEYS[1] gate (STRING), KEYS[2] again flag (STRING); ARGV[1] ttl in ms.
-- Returns 1 when the caller took the gate (and must queue a run), 0 when a run holds it
-- (which is then flagged to go again before it releases the gate).
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 0
