-- Gives a leader lease up at once, if it is still ours in this term, so the
-- next candidate need not wait for it to expire. The term stays counted.
-- keys: 1
-- KEYS[1] the lease (see lease_acquire).
-- ARGV[1] holder, ARGV[2] term.
-- Returns 1 if released, 0 if it was no longer ours.
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local lease = cjson.decode(stored)
if lease.holder ~= ARGV[1] or lease.term ~= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
