-- Takes a leader lease if it is free (never held, released, or expired:
-- Redis drops it when its time is up), ours already, or held on a connection
-- the caller saw gone (ARGV[7]): a killed leader's connection ends with it,
-- as a PostgreSQL leader's session lock does, and connection ids are never
-- reused, so a gone one stays gone. Its writes are fenced by the new term.
-- A new holder starts a new term, counted per lease name in the terms hash,
-- which outlives the lease itself so terms only grow.
-- keys: 2
-- KEYS[1] the lease (JSON: holder, host, pid, session, term, acquiredAt,
--   expiresAt; times in ms since the epoch), KEYS[2] the terms hash (lease name -> last term).
-- ARGV[1] lease name, ARGV[2] holder, ARGV[3] host, ARGV[4] pid, ARGV[5] ttl ms,
-- ARGV[6] the caller's connection id ('' where not watched), ARGV[7] a
-- connection id the caller saw gone ('' for none).
-- Returns { 1, term } if the lease is now ours, else { 0, the holder's connection id or '' }.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[5])
local stored = redis.call('GET', KEYS[1])
local lease
if stored then
  lease = cjson.decode(stored)
end
if lease and lease.holder ~= ARGV[2] then
  local session = lease.session or ''
  if ARGV[7] == '' or session ~= ARGV[7] then return { 0, session } end
  lease = nil
end
if not lease then
  lease = { holder = ARGV[2], term = redis.call('HINCRBY', KEYS[2], ARGV[1], 1), acquiredAt = now }
end
lease.host = ARGV[3]
lease.pid = tonumber(ARGV[4])
lease.session = ARGV[6]
lease.expiresAt = now + ttl
redis.call('SET', KEYS[1], cjson.encode(lease), 'PX', ttl)
return { 1, lease.term }
