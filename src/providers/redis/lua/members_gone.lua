-- Ends the members whose connection the server no longer has (the leader
-- saw it gone, see redis-session.ts) once their lease is over: a killed
-- process's members die with its connection, not only when their heartbeats
-- stop; a cut-off one has stopped starting work by the end of its lease. A
-- member that spoke since on another connection keeps its place. Ended
-- members expire now; the allocator's apply removes them.
-- keys: 1
-- KEYS[1] the consumer's members (see member_join).
-- ARGV: pairs of member id and the connection id seen gone.
-- Returns how many it ended.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ended = 0
for i = 1, #ARGV, 2 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if stored then
    local member = cjson.decode(stored)
    if member.session == ARGV[i + 1] and member.leaseExpiresAt <= now and member.expiresAt > now then
      member.expiresAt = now
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(member))
      ended = ended + 1
    end
  end
end
return ended
