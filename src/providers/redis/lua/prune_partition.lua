-- Deletes one batch of a partition's entries up to a position (retention,
-- see redis-retention.ts), keeping each stream's newest entry: an append
-- continues the stream's version from `heads`, and a reader still finds the
-- stream's last event. Deleted events' ids are forgotten. A batch at a time,
-- so a long partition never holds the server for one long script.
-- When a batch starts at the stream's first entry and every entry in it
-- goes, it is trimmed (XTRIM MINID, which frees whole nodes) rather than
-- deleted entry by entry.
-- keys: 3
-- KEYS[1] the partition's stream, KEYS[2] its heads (stream -> version),
--   KEYS[3] its ids (id -> 'position:version:time').
-- ARGV[1] scan after this position, ARGV[2] delete up to this position
--   (inclusive), ARGV[3] batch size.
-- Returns {scanned, deleted, last position scanned ('' when none)}.
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1] .. '-0', ARGV[2] .. '-0',
  'COUNT', tonumber(ARGV[3]))
if #entries == 0 then return { 0, 0, '' } end
local gone = {}
for _, entry in ipairs(entries) do
  local fields, id, stream, version = entry[2], nil, nil, nil
  for i = 1, #fields, 2 do
    local field = fields[i]
    if field == 'id' then
      id = fields[i + 1]
    elseif field == 'stream' then
      stream = fields[i + 1]
    elseif field == 'version' then
      version = fields[i + 1]
    end
  end
  if redis.call('HGET', KEYS[2], stream) ~= version then
    gone[#gone + 1] = entry[1]
    redis.call('HDEL', KEYS[3], id)
  end
end
local last = entries[#entries][1]
local lastPosition = string.match(last, '^(%d+)-')
if #gone == #entries and redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1] == entries[1][1] then
  -- Ids are `<position>-0`: `<last>-1` lies between the last scanned and the next.
  redis.call('XTRIM', KEYS[1], 'MINID', lastPosition .. '-1')
elseif #gone > 0 then
  redis.call('XDEL', KEYS[1], unpack(gone))
end
return { #entries, #gone, lastPosition }
