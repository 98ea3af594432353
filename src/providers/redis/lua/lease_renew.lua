-- Extends a leader lease for ARGV[3] ms, if it is still ours in this term
-- (not expired, not taken by another since), on the connection the leader
-- has now (ARGV[4]): after a reconnection the lease names the new one.
-- keys: 1
-- KEYS[1] the lease (see lease_acquire).
-- ARGV[1] holder, ARGV[2] term, ARGV[3] ttl ms, ARGV[4] the leader's connection id ('' where not watched).
-- Returns 1 if renewed, 0 if the lease is no longer ours.
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local lease = cjson.decode(stored)
if lease.holder ~= ARGV[1] or lease.term ~= tonumber(ARGV[2]) then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
lease.expiresAt = now + tonumber(ARGV[3])
lease.session = ARGV[4]
redis.call('SET', KEYS[1], cjson.encode(lease), 'PX', ARGV[3])
return 1
