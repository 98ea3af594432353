-- Appends a publish to the partitions it touches, atomically: every check
-- runs before anything is written. On one server a whole batch is one call;
-- on a cluster each partition's share is (its keys share a hash tag). Events of one stream get consecutive versions
-- in input order; an expected version is the version the stream must be at
-- just before that event. A position is the partition's own counter (the
-- entry id is `<position>-0`), and every event of the call gets one time,
-- never earlier than the partition's last.
-- keys: dynamic
-- KEYS: three per partition: its stream, its heads (stream -> version;
--   '#' -> last position; '@' -> last time), its ids (id -> 'position:version:time').
-- ARGV[1] '1' on a retried call: if every id is stored already, answers what
--   was stored (the first call landed; its answer was lost); '2' to check
--   only: answers {'ok'} or the refusal, and writes nothing.
-- ARGV[2] the event count, then seven per event: the partition's place in
--   KEYS (0, 1, ...), id, stream, subject, expected version ('' for none),
--   data JSON, metadata JSON ('' for none).
-- Returns {'ok', time, position, version, ...} (in event order) or {'stored', 'position:version:time', ...}
-- or {'duplicate_id', id} or {'version_conflict', stream, expected, actual}.
local count = tonumber(ARGV[2])
local function keys(i)
  local at = tonumber(ARGV[3 + i * 7]) * 3
  return KEYS[at + 1], KEYS[at + 2], KEYS[at + 3]
end

if ARGV[1] == '1' and count > 0 then
  local stored = { 'stored' }
  for i = 0, count - 1 do
    local _, _, ids = keys(i)
    local found = redis.call('HGET', ids, ARGV[4 + i * 7])
    if not found then
      stored = nil
      break
    end
    stored[#stored + 1] = found
  end
  if stored then return stored end
end

-- Versions per stream; a stream lives in one partition, so its name is key enough.
local heads = {}
local seen = {}
local versions = {}
for i = 0, count - 1 do
  local base = 4 + i * 7
  local _, head, ids = keys(i)
  local id, stream, expected = ARGV[base], ARGV[base + 1], ARGV[base + 3]
  if seen[id] or redis.call('HEXISTS', ids, id) == 1 then
    return { 'duplicate_id', id }
  end
  seen[id] = true
  local actual = heads[stream]
  if actual == nil then
    actual = tonumber(redis.call('HGET', head, stream) or '-1')
  end
  if expected ~= '' and tonumber(expected) ~= actual then
    return { 'version_conflict', stream, expected, tostring(actual) }
  end
  heads[stream] = actual + 1
  versions[i + 1] = actual + 1
end

if ARGV[1] == '2' then return { 'ok' } end

local now = redis.call('TIME')
local time = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for at = 2, #KEYS, 3 do
  time = math.max(time, tonumber(redis.call('HGET', KEYS[at], '@') or '0'))
end
for at = 2, #KEYS, 3 do
  redis.call('HSET', KEYS[at], '@', time)
end
local answer = { 'ok', tostring(time) }
for i = 0, count - 1 do
  local base = 4 + i * 7
  local log, head, ids = keys(i)
  local position = redis.call('HINCRBY', head, '#', 1)
  local version = versions[i + 1]
  if ARGV[base + 5] == '' then
    redis.call('XADD', log, position .. '-0', 'id', ARGV[base], 'stream', ARGV[base + 1],
      'subject', ARGV[base + 2], 'version', version, 'time', time, 'data', ARGV[base + 4])
  else
    redis.call('XADD', log, position .. '-0', 'id', ARGV[base], 'stream', ARGV[base + 1],
      'subject', ARGV[base + 2], 'version', version, 'time', time, 'data', ARGV[base + 4],
      'metadata', ARGV[base + 5])
  end
  redis.call('HSET', head, ARGV[base + 1], version)
  redis.call('HSET', ids, ARGV[base], position .. ':' .. version .. ':' .. time)
  answer[#answer + 1] = tostring(position)
  answer[#answer + 1] = tostring(version)
end
return answer
