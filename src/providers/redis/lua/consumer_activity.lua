-- Whether a consumer needs the allocator: it has members or owned
-- partitions (active), and whether one of its members is dead now (its
-- heartbeat expired on the server's clock).
-- keys: 2
-- KEYS[1] the consumer's members (see member_join), KEYS[2] its owners (see member_assignment).
-- Returns {active (0 or 1), dead (0 or 1)}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local dead = 0
local members = redis.call('HVALS', KEYS[1])
for _, stored in ipairs(members) do
  if cjson.decode(stored).expiresAt <= now then
    dead = 1
    break
  end
end
if #members > 0 then return { 1, dead } end
for _, stored in ipairs(redis.call('HVALS', KEYS[2])) do
  if cjson.decode(stored).member ~= cjson.null then return { 1, dead } end
end
return { 0, dead }
