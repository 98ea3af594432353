-- Ends the members whose connection the server no longer has (the leader
-- saw it gone, see redis-session.ts) at the end of their lease: a killed
-- process's members die with its connection, not only when their heartbeats
-- stop; a cut-off one has stopped starting work by the end of its lease. The
-- member's expiry is brought forward to its lease's end, so the rebalance
-- that runs then finds it dead without looking at connections again. A
-- member that spoke since on another connection keeps its place (its
-- heartbeat names the new connection and renews its expiry).
-- keys: 1
-- KEYS[1] the consumer's members (see member_join).
-- ARGV: pairs of member id and the connection id seen gone.
-- Returns how many are dead now.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ended = 0
for i = 1, #ARGV, 2 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if stored then
    local member = cjson.decode(stored)
    if member.session == ARGV[i + 1] and member.expiresAt > now then
      local dies = math.max(now, member.leaseExpiresAt)
      if dies < member.expiresAt then
        member.expiresAt = dies
        redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(member))
      end
      if dies <= now then ended = ended + 1 end
    end
  end
end
return ended
