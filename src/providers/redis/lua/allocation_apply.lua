-- Applies the allocator's plan for one consumer, at once and as a
-- compare-and-set (see MembershipStore.applyAllocation):
-- 1. fencing: refused if a leader of a later term has written here already
--    (the caller checked its lease just before; the lease lives in another
--    slot, so a leader deposed since then is stopped here by the term its
--    successor recorded, and until the successor writes, the generation
--    compare-and-set keeps the two from undoing each other's plans);
-- 2. nothing written if the generation or the partition count moved since
--    the plan's allocation was loaded;
-- 3. members dead now (expiresAt passed, on the server's clock) are removed;
-- 4. one owner per partition of the count: owners beyond it dropped, those
--    missing added free, those that are not live members with the count freed;
-- 5. each change made only where what it was planned on still holds, every
--    condition read before anything changes: grant a free partition to a
--    live member with the count (at the next generation), revoke an owned
--    partition not being revoked, keep one being revoked;
-- 6. if anything changed (or a member was removed) the generation moves and
--    the members channel is told.
-- keys: 3
-- KEYS[1] the consumer's meta (generation; term: the highest allocator term
--   that wrote here), KEYS[2] its members (see member_join), KEYS[3] its
--   owners (see member_assignment).
-- ARGV[1] members channel, ARGV[2] consumer, ARGV[3] the leader's term,
-- ARGV[4] generation loaded, ARGV[5] partition count loaded, ARGV[6] the
-- registry's partition count now, ARGV[7] grant count G, then G pairs
-- (partition, member id), then a revoke count R and R partitions, then a
-- keep count K and K partitions.
-- Returns {'deposed', term recorded} or {'stale', generation} or
-- {'ok', generation, changed (0 or 1), expired member id, ...}.
local term = tonumber(ARGV[3])
local recorded = tonumber(redis.call('HGET', KEYS[1], 'term') or '0')
if recorded > term then return { 'deposed', recorded } end
if term > recorded then redis.call('HSET', KEYS[1], 'term', ARGV[3]) end

local generation = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
local partitions = tonumber(ARGV[6])
if generation ~= tonumber(ARGV[4]) or partitions ~= tonumber(ARGV[5]) then
  return { 'stale', generation }
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expired, live = {}, {}
local members = redis.call('HGETALL', KEYS[2])
for i = 1, #members, 2 do
  local member = cjson.decode(members[i + 1])
  if member.expiresAt <= now then
    expired[#expired + 1] = members[i]
    redis.call('HDEL', KEYS[2], members[i])
  elseif member.partitions == partitions then
    live[members[i]] = true
  end
end

local owners = {}
local stored = redis.call('HGETALL', KEYS[3])
for i = 1, #stored, 2 do
  local partition = tonumber(stored[i])
  if partition >= partitions then
    redis.call('HDEL', KEYS[3], stored[i])
  else
    owners[partition] = cjson.decode(stored[i + 1])
  end
end
for partition = 0, partitions - 1 do
  local owner = owners[partition]
  if owner == nil then
    owners[partition] = { member = cjson.null, generation = 0, revoking = false }
  elseif owner.member ~= cjson.null and not live[owner.member] then
    owner.member = cjson.null
    owner.revoking = false
  end
end

local at = 8
local grants, granted = {}, {}
for _ = 1, tonumber(ARGV[7]) do
  local partition, member = tonumber(ARGV[at]), ARGV[at + 1]
  at = at + 2
  local owner = owners[partition]
  if owner and owner.member == cjson.null and live[member] and not granted[partition] then
    granted[partition] = true
    grants[#grants + 1] = { partition, member }
  end
end
local revokes = {}
local count = tonumber(ARGV[at])
at = at + 1
for _ = 1, count do
  local owner = owners[tonumber(ARGV[at])]
  if owner and owner.member ~= cjson.null and not owner.revoking then
    revokes[tonumber(ARGV[at])] = true
  end
  at = at + 1
end
local keeps = {}
count = tonumber(ARGV[at])
at = at + 1
for _ = 1, count do
  local owner = owners[tonumber(ARGV[at])]
  if owner and owner.revoking then keeps[tonumber(ARGV[at])] = true end
  at = at + 1
end

local next = generation + 1
local changes = #grants
for _, grant in ipairs(grants) do
  owners[grant[1]] = { member = grant[2], generation = next, revoking = false }
end
for partition in pairs(revokes) do
  owners[partition].revoking = true
  changes = changes + 1
end
for partition in pairs(keeps) do
  owners[partition].revoking = false
  changes = changes + 1
end
for partition = 0, partitions - 1 do
  redis.call('HSET', KEYS[3], tostring(partition), cjson.encode(owners[partition]))
end

local changed = changes > 0 or #expired > 0
if changed then
  generation = next
  redis.call('HSET', KEYS[1], 'generation', generation)
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
local answer = { 'ok', generation, changed and 1 or 0 }
for _, id in ipairs(expired) do answer[#answer + 1] = id end
return answer
