-- Adds a member, or renews one that joins again (keeping when it first
-- joined, so the allocator's oldest-first order holds): alive for ARGV[5]
-- milliseconds of silence from now, its lease running ARGV[6]. Times are
-- the server's, so members of every process age on one clock. Tells the
-- members channel, so the leader rebalances at once.
-- keys: 1
-- KEYS[1] the consumer's members (member id -> JSON: host, pid, partitions,
--   joinedAt, heartbeatAt, expiresAt, leaseExpiresAt, session; times in ms since the epoch).
-- ARGV[1] member id, ARGV[2] host, ARGV[3] pid, ARGV[4] the member's partition count,
-- ARGV[5] session timeout ms, ARGV[6] lease ms, ARGV[7] members channel, ARGV[8] consumer,
-- ARGV[9] the id of the connection it speaks on ('' where not watched: see redis-session.ts).
-- Returns 1.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local joinedAt = now
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then joinedAt = cjson.decode(existing).joinedAt end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({
  host = ARGV[2],
  pid = tonumber(ARGV[3]),
  partitions = tonumber(ARGV[4]),
  joinedAt = joinedAt,
  heartbeatAt = now,
  expiresAt = now + tonumber(ARGV[5]),
  leaseExpiresAt = now + tonumber(ARGV[6]),
  session = ARGV[9] ~= '' and ARGV[9] or nil,
}))
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
