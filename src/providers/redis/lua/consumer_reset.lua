-- Resets a consumer (a replay), in one step: every partition's position
-- moves to its target and every partition is freed under a new generation,
-- so running members are fenced (their commits are refused), the allocator
-- hands the partitions out again and their new owners start from there.
-- Pending retries are forgotten; dead letters stay. Members are told.
-- keys: 4
-- KEYS[1] meta, KEYS[2] owners, KEYS[3] positions, KEYS[4] deliveries (the consumer's).
-- ARGV[1] members channel, ARGV[2] consumer, then the target of partition 0, 1, ...
-- Returns the new generation.
local generation = redis.call('HINCRBY', KEYS[1], 'generation', 1)
local now = redis.call('TIME')
local time = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i = 3, #ARGV do
  local partition = tostring(i - 3)
  redis.call('HSET', KEYS[3], partition, ARGV[i] .. ':' .. generation .. ':' .. time)
  local owner = redis.call('HGET', KEYS[2], partition)
  if owner then
    local o = cjson.decode(owner)
    o.member = cjson.null
    o.revoking = false
    redis.call('HSET', KEYS[2], partition, cjson.encode(o))
  end
end
local records = redis.call('HGETALL', KEYS[4])
for i = 1, #records, 2 do
  if cjson.decode(records[i + 1]).state == 'retryable' then
    redis.call('HDEL', KEYS[4], records[i])
  end
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return generation
