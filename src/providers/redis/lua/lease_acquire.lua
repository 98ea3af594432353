-- Takes a leader lease if it is free (never held, released, or expired:
-- Redis drops it when its time is up) or ours already, for ARGV[5] ms. A new
-- holder starts a new term, counted per lease name in the terms hash, which
-- outlives the lease itself so terms only grow.
-- keys: 2
-- KEYS[1] the lease (JSON: holder, host, pid, term, acquiredAt, expiresAt;
--   times in ms since the epoch), KEYS[2] the terms hash (lease name -> last term).
-- ARGV[1] lease name, ARGV[2] holder, ARGV[3] host, ARGV[4] pid, ARGV[5] ttl ms.
-- Returns the term if the lease is now ours, else nil.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[5])
local stored = redis.call('GET', KEYS[1])
local lease
if stored then
  lease = cjson.decode(stored)
  if lease.holder ~= ARGV[2] then return nil end
else
  lease = { holder = ARGV[2], term = redis.call('HINCRBY', KEYS[2], ARGV[1], 1), acquiredAt = now }
end
lease.host = ARGV[3]
lease.pid = tonumber(ARGV[4])
lease.expiresAt = now + ttl
redis.call('SET', KEYS[1], cjson.encode(lease), 'PX', ttl)
return lease.term
