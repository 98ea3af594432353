-- A consumer's allocation as stored, read at one instant with the server's
-- time, so whoever reads it judges which members are dead on the clock
-- their expiries were set by.
-- keys: 3
-- KEYS[1] the consumer's meta (generation), KEYS[2] its members (see
--   member_join), KEYS[3] its owners (see member_assignment).
-- Returns {now (ms since the epoch), generation, {member id, JSON, ...}, {partition, JSON, ...}}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return {
  now,
  tonumber(redis.call('HGET', KEYS[1], 'generation') or '0'),
  redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
}
