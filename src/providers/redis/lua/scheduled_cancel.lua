-- Cancels a waiting delayed event, unless a delivery has taken it (it is
-- being appended to the log, or was and awaits removal).
-- keys: 4
-- KEYS[1] the ordered set, KEYS[2] the event's stream's ordered set, KEYS[3]
--   the events hash (see schedule), KEYS[4] the claimed set.
-- ARGV[1] id, ARGV[2] its member as the caller read it (its stream is KEYS[2]).
-- Returns 1 if cancelled, 0 if not waiting (or taken), -1 if it was
-- scheduled again meanwhile under another member (read it again).
local stored = redis.call('HGET', KEYS[3], ARGV[1])
if not stored then return 0 end
local member = cjson.decode(stored).m
if member ~= ARGV[2] then return -1 end
if redis.call('ZSCORE', KEYS[4], member) then return 0 end
redis.call('ZREM', KEYS[1], member)
redis.call('ZREM', KEYS[2], member)
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
