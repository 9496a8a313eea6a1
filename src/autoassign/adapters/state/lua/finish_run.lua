-- Job side of a run gate, after a batch.
-- KEYS[1] gate, KEYS[2] again flag; ARGV[1] ttl in ms.
-- Returns 1 and holds the gate (again) when triggers arrived meanwhile, or when the gate
-- itself is gone: a flush or restart that dropped the gate dropped the again flag with
-- it, so a trigger may have been lost and the run must go again (defect D2). Otherwise
-- releases the gate and returns 0. Atomic, so a trigger lands either before (run again)
-- or after (it takes the released gate and queues a run itself): never lost.
if redis.call('DEL', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
redis.call('DEL', KEYS[1])
return 0
