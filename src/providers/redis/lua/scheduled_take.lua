-- Takes the due delayed events for one delivery, if the caller holds the
-- scheduler's lease in this term (the lease record lease_acquire writes, as
-- readLease reads it; it lives in this slot, so the check and the take are
-- one step). The events taken are marked claimed until scheduled_done
-- removes them: a cancel no longer succeeds on them, and a delivery cut off
-- between its append and its removal is taken again, whole, by the next
-- one, which appends only what the log lacks.
-- keys: 4
-- KEYS[1] the scheduler's lease, KEYS[2] the ordered set, KEYS[3] the events
--   hash (see schedule), KEYS[4] the claimed set (same members, all scores 0).
-- ARGV[1] holder, ARGV[2] term, ARGV[3] limit.
-- Returns {'deposed'} or {'due', member, event record, ...} in delivery order:
-- the claimed events if a delivery left some, else up to ARGV[3] due now (the
-- server's clock).
local stored = redis.call('GET', KEYS[1])
if not stored then return { 'deposed' } end
local lease = cjson.decode(stored)
if lease.holder ~= ARGV[1] or lease.term ~= tonumber(ARGV[2]) then return { 'deposed' } end

local limit = tonumber(ARGV[3])
local members = redis.call('ZRANGE', KEYS[4], 0, limit - 1)
if #members == 0 then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  -- Members before the next millisecond's prefix: due at or before now.
  local before = '(' .. string.format('%016d', now + 1)
  members = redis.call('ZRANGE', KEYS[2], '-', before, 'BYLEX', 'LIMIT', 0, limit)
  for _, member in ipairs(members) do redis.call('ZADD', KEYS[4], 0, member) end
end
local answer = { 'due' }
for _, member in ipairs(members) do
  answer[#answer + 1] = member
  -- The id follows `<16 digits>:<19 digits>:`.
  answer[#answer + 1] = redis.call('HGET', KEYS[3], string.sub(member, 38)) or ''
end
return answer
