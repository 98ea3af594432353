-- A member hands partitions back (drained and committed): each one it still
-- owns is freed, so the allocator can give it on at once. Tells the members
-- channel, so the leader rebalances now rather than at its next tick.
-- keys: 1
-- KEYS[1] the consumer's owners (see member_assignment).
-- ARGV[1] members channel, ARGV[2] consumer, ARGV[3] member id, ARGV[4...] partitions.
-- Returns the number of partitions freed.
local freed = 0
for i = 4, #ARGV do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if stored then
    local owner = cjson.decode(stored)
    if owner.member == ARGV[3] then
      owner.member = cjson.null
      owner.revoking = false
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(owner))
      freed = freed + 1
    end
  end
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return freed
