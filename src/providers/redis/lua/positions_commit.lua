-- Stores a member's positions, each only if the member owns the partition
-- and got it at or before the commit's generation (fencing); a position
-- never moves backwards (a stale one keeps the stored position but records
-- its generation). The others are refused, after the allowed ones are stored.
-- keys: 2
-- KEYS[1] the consumer's owners (partition -> JSON {member, generation, revoking}),
-- KEYS[2] its positions (partition -> 'position:generation:time').
-- ARGV[1] member, then three per commit: partition, position, generation.
-- Returns the refused partitions.
local now = redis.call('TIME')
local time = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local refused = {}
for i = 2, #ARGV, 3 do
  local partition, position, generation = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local owner = redis.call('HGET', KEYS[1], partition)
  local stored = redis.call('HGET', KEYS[2], partition)
  local allowed = false
  if owner and stored then
    local o = cjson.decode(owner)
    allowed = o.member == ARGV[1] and tonumber(o.generation) <= generation
  end
  if allowed then
    local current = string.match(stored, '^(%d+):')
    -- Decimal strings of up to 19 digits: longer is larger, else compare as text.
    if #current > #position or (#current == #position and current > position) then
      position = current
    end
    redis.call('HSET', KEYS[2], partition, position .. ':' .. generation .. ':' .. time)
  else
    refused[#refused + 1] = tonumber(partition)
  end
end
return refused
