-- Whether a consumer needs the allocator: it has members or owned
-- partitions (active), and whether one of its members is dead now (its
-- heartbeat expired on the server's clock).
-- keys: 2
-- KEYS[1] the consumer's members (see member_join), KEYS[2] its owners (see member_assignment).
-- Returns {active (0 or 1), dead (0 or 1), then three per live member with a
-- watched session: member id, connection id, milliseconds its lease still runs}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local dead = 0
local sessions = {}
local members = redis.call('HGETALL', KEYS[1])
for i = 1, #members, 2 do
  local member = cjson.decode(members[i + 1])
  if member.expiresAt <= now then
    dead = 1
  elseif member.session then
    sessions[#sessions + 1] = members[i]
    sessions[#sessions + 1] = member.session
    sessions[#sessions + 1] = member.leaseExpiresAt - now
  end
end
local active = 0
if #members > 0 then active = 1 end
if active == 0 then
  for _, stored in ipairs(redis.call('HVALS', KEYS[2])) do
    if cjson.decode(stored).member ~= cjson.null then
      active = 1
      break
    end
  end
end
local answer = { active, dead }
for _, value in ipairs(sessions) do answer[#answer + 1] = value end
return answer
