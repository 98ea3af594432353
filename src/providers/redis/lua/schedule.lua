-- Keeps delayed events until they are due (see redis-scheduled.ts), all or
-- none: every id is checked against the schedule and the batch before
-- anything is written. (The log's ids live in other slots: the caller
-- checked them just before.) Each event gets the next number of schedule
-- order, which breaks ties between equal due times, and its member in the
-- ordered set, `<deliverAt>:<order, 19 digits>:<id>`. Announces the batch's
-- earliest due time, so a scheduler asleep until a later one wakes.
-- keys: dynamic
-- KEYS[1] the ordered set (all scores 0), KEYS[2] the events hash (id -> JSON:
--   m member, a scheduled at (ms since the epoch, as text), e the event),
--   KEYS[3] the schedule order counter, then one per event: its stream's ordered set.
-- ARGV[1] '1' on a retried call: if every id is scheduled already, the first
--   call landed (its answer was lost) and nothing is written again.
-- ARGV[2] the scheduled channel, ARGV[3] the earliest deliverAt (ms), ARGV[4]
--   the event count, then three per event: id, deliverAt (ms, 16 digits), the
--   event (JSON text, kept as it is).
-- Returns {'ok'} or {'stored'} or {'duplicate_id', id}.
local count = tonumber(ARGV[4])

if ARGV[1] == '1' and count > 0 then
  local stored = true
  for i = 0, count - 1 do
    if redis.call('HEXISTS', KEYS[2], ARGV[5 + i * 3]) == 0 then
      stored = false
      break
    end
  end
  if stored then return { 'stored' } end
end

local seen = {}
for i = 0, count - 1 do
  local id = ARGV[5 + i * 3]
  if seen[id] or redis.call('HEXISTS', KEYS[2], id) == 1 then return { 'duplicate_id', id } end
  seen[id] = true
end

local time = redis.call('TIME')
local now = string.format('%d', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
for i = 0, count - 1 do
  local base = 5 + i * 3
  local id = ARGV[base]
  local member = ARGV[base + 1] .. ':' .. string.format('%019d', redis.call('INCR', KEYS[3])) .. ':' .. id
  redis.call('ZADD', KEYS[1], 0, member)
  redis.call('ZADD', KEYS[4 + i], 0, member)
  redis.call('HSET', KEYS[2], id, cjson.encode({ m = member, a = now, e = ARGV[base + 2] }))
end
if count > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return { 'ok' }
