-- Waiting delayed events in delivery order, from a place in it: one script,
-- so every member listed has its event (none delivered in between).
-- keys: 2
-- KEYS[1] the ordered set (all streams', or one stream's), KEYS[2] the events hash.
-- ARGV[1] where to start (a ZRANGE BYLEX bound: '-' or '[<prefix>'), ARGV[2] limit.
-- Returns {member, event record, ...}.
local answer = {}
local members = redis.call('ZRANGE', KEYS[1], ARGV[1], '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(members) do
  local stored = redis.call('HGET', KEYS[2], string.sub(member, 38))
  if stored then
    answer[#answer + 1] = member
    answer[#answer + 1] = stored
  end
end
return answer
