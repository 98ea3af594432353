-- Removes delayed events from the schedule: delivered (in the log now), or
-- written by a publish that failed after scheduling them. Removing one
-- already gone does nothing, so a delivery finished twice is harmless.
-- keys: dynamic
-- KEYS[1] the ordered set, KEYS[2] the events hash, KEYS[3] the claimed set,
--   then one per member: its stream's ordered set.
-- ARGV: the members (see schedule), in the order of their stream's KEYS.
-- Returns how many were still scheduled.
local removed = 0
for i, member in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[3 + i], member)
  redis.call('ZREM', KEYS[3], member)
  local id = string.sub(member, 38)
  local stored = redis.call('HGET', KEYS[2], id)
  if stored and cjson.decode(stored).m == member then
    redis.call('HDEL', KEYS[2], id)
    removed = removed + 1
  end
end
return removed
