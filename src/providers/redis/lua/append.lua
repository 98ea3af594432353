-- Appends one partition's share of a publish, atomically: every check runs
-- before anything is written. Events of one stream get consecutive versions
-- in input order; an expected version is the version the stream must be at
-- just before that event. A position is the partition's own counter (the
-- entry id is `<position>-0`), and every event of the call gets one time,
-- never earlier than the partition's last.
-- keys: 3
-- KEYS[1] the partition's stream, KEYS[2] its heads (stream -> version;
--   '#' -> last position; '@' -> last time), KEYS[3] its ids (id -> 'position:version:time').
-- ARGV[1] '1' on a retried call: if every id is stored already, answers what
--   was stored (the first call landed; its answer was lost).
-- ARGV[2] the event count, then six per event: id, stream, subject,
--   expected version ('' for none), data JSON, metadata JSON ('' for none).
-- Returns {'ok', time, position, version, ...} or {'stored', 'position:version:time', ...}
-- or {'duplicate_id', id} or {'version_conflict', stream, expected, actual}.
local count = tonumber(ARGV[2])
if ARGV[1] == '1' and count > 0 then
  local stored = { 'stored' }
  for i = 0, count - 1 do
    local found = redis.call('HGET', KEYS[3], ARGV[3 + i * 6])
    if not found then
      stored = nil
      break
    end
    stored[#stored + 1] = found
  end
  if stored then return stored end
end

local heads = {}
local seen = {}
local versions = {}
for i = 0, count - 1 do
  local base = 3 + i * 6
  local id, stream, expected = ARGV[base], ARGV[base + 1], ARGV[base + 3]
  if seen[id] or redis.call('HEXISTS', KEYS[3], id) == 1 then
    return { 'duplicate_id', id }
  end
  seen[id] = true
  local actual = heads[stream]
  if actual == nil then
    actual = tonumber(redis.call('HGET', KEYS[2], stream) or '-1')
  end
  if expected ~= '' and tonumber(expected) ~= actual then
    return { 'version_conflict', stream, expected, tostring(actual) }
  end
  heads[stream] = actual + 1
  versions[i + 1] = actual + 1
end

local now = redis.call('TIME')
local time = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
time = math.max(time, tonumber(redis.call('HGET', KEYS[2], '@') or '0'))
redis.call('HSET', KEYS[2], '@', time)
local answer = { 'ok', tostring(time) }
for i = 0, count - 1 do
  local base = 3 + i * 6
  local position = redis.call('HINCRBY', KEYS[2], '#', 1)
  local version = versions[i + 1]
  if ARGV[base + 5] == '' then
    redis.call('XADD', KEYS[1], position .. '-0', 'id', ARGV[base], 'stream', ARGV[base + 1],
      'subject', ARGV[base + 2], 'version', version, 'time', time, 'data', ARGV[base + 4])
  else
    redis.call('XADD', KEYS[1], position .. '-0', 'id', ARGV[base], 'stream', ARGV[base + 1],
      'subject', ARGV[base + 2], 'version', version, 'time', time, 'data', ARGV[base + 4],
      'metadata', ARGV[base + 5])
  end
  redis.call('HSET', KEYS[2], ARGV[base + 1], version)
  redis.call('HSET', KEYS[3], ARGV[base], position .. ':' .. version .. ':' .. time)
  answer[#answer + 1] = tostring(position)
  answer[#answer + 1] = tostring(version)
end
return answer
