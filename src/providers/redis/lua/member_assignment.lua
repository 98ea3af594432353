-- A member's view of the allocation: the generation, the partitions it owns
-- and works, and those it was asked to release. A script only so the
-- generation and the owners are read at one instant.
-- keys: 2
-- KEYS[1] the consumer's meta (generation), KEYS[2] its owners (partition ->
--   JSON: member (null: free), generation, revoking).
-- ARGV[1] member id.
-- Returns {generation, owned, ownedSince (the generation each owned partition
-- was granted in), revoking}, each list in partition order.
local mine = {}
local owners = redis.call('HGETALL', KEYS[2])
for i = 1, #owners, 2 do
  local owner = cjson.decode(owners[i + 1])
  if owner.member == ARGV[1] then mine[#mine + 1] = { tonumber(owners[i]), owner } end
end
table.sort(mine, function(a, b) return a[1] < b[1] end)
local owned, since, revoking = {}, {}, {}
for _, entry in ipairs(mine) do
  if entry[2].revoking then
    revoking[#revoking + 1] = entry[1]
  else
    owned[#owned + 1] = entry[1]
    since[#since + 1] = entry[2].generation
  end
end
return { tonumber(redis.call('HGET', KEYS[1], 'generation') or '0'), owned, since, revoking }
