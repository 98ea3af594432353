-- Gives a new consumer its partitions' starting positions, once: a consumer
-- registered again (a restart) keeps the positions it has.
-- keys: 2
-- KEYS[1] the consumer's positions (partition -> 'position:generation:time'), KEYS[2] its meta.
-- ARGV: the start position of partition 0, 1, ...
-- Returns 1 if it set them, 0 if the consumer had positions already.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = redis.call('TIME')
local time = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i = 1, #ARGV do
  redis.call('HSET', KEYS[1], i - 1, ARGV[i] .. ':0:' .. time)
end
redis.call('HSETNX', KEYS[2], 'generation', 0)
return 1
