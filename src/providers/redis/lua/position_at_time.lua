-- The position just before a partition's first event at or after a time:
-- a binary search over its entries (positions are the partition's counter,
-- so the entry at or after position p is `XRANGE p-0 + COUNT 1`).
-- keys: 2
-- KEYS[1] the partition's stream, KEYS[2] its heads ('#' -> last position).
-- ARGV[1] the time, in milliseconds since 1970.
-- Returns the position, as a string.
local target = tonumber(ARGV[1])
local low, high = 1, tonumber(redis.call('HGET', KEYS[2], '#') or '0') + 1
-- Invariant: every event before `low` is earlier than the target; the first
-- event at or after the target is before `high` (or there is none).
while low < high do
  local middle = math.floor((low + high) / 2)
  local entry = redis.call('XRANGE', KEYS[1], middle .. '-0', '+', 'COUNT', 1)[1]
  if not entry then
    high = middle
  else
    local fields, time = entry[2], nil
    for i = 1, #fields, 2 do
      if fields[i] == 'time' then time = tonumber(fields[i + 1]) end
    end
    local position = tonumber(string.match(entry[1], '^(%d+)-'))
    if time >= target then high = middle else low = position + 1 end
  end
end
return tostring(low - 1)
