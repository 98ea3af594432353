-- Forgets a consumer's pending retries when its positions are reset: the
-- events are read again from the new position, with fresh attempts. Dead
-- letters and cancellations stay (retry them explicitly).
-- $1 consumer (text).
DELETE FROM :"schema".deliveries WHERE consumer = $1::text AND state = 'retryable' AND NOT replay;
