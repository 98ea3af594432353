-- Keeps a member alive for ARGV[2] more milliseconds of silence and renews
-- its lease for ARGV[3], on the server's clock. A member past its expiry
-- that no rebalance removed yet is still there, and renewed (as on
-- PostgreSQL). Nobody is told: nothing another process acts on changed.
-- keys: 2
-- KEYS[1] the consumer's meta (generation), KEYS[2] its members (see member_join).
-- ARGV[1] member id, ARGV[2] session timeout ms, ARGV[3] lease ms, ARGV[4] the id of
-- the connection it speaks on now ('' where not watched).
-- Returns the consumer's generation, or nil if the member is gone (found dead).
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if not stored then return nil end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local member = cjson.decode(stored)
member.heartbeatAt = now
member.expiresAt = now + tonumber(ARGV[2])
member.leaseExpiresAt = now + tonumber(ARGV[3])
if ARGV[4] ~= '' then member.session = ARGV[4] end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(member))
return tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
