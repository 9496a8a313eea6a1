-- Job side of a run gate, after a batch.
-- KEYS[1] gate, KEYS[2] again flag; ARGV[1] ttl in ms.
-- Returns 1 (and keeps the gate) when triggers arrived meanwhile; otherwise releases the
-- gate and returns 0. Atomic, so a trigger lands either before (run again) or after (it
-- takes the released gate and queues a run itself): never lost.
if redis.call('DEL', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
redis.call('DEL', KEYS[1])
return 0
