-- How long until the earliest delayed event is due, by the server's clock
-- (so the scheduler's sleep does not depend on its own clock agreeing).
-- keys: 1
-- KEYS[1] the ordered set (its first member starts with its deliverAt).
-- Returns milliseconds (<= 0: due), or nil when nothing waits.
local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if not first then return nil end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return tonumber(string.sub(first, 1, 16)) - now
