-- Deliveries off the happy path: one row per consumer and event that failed
-- at least once (retryable), was given up on (discarded: the dead letters)
-- or was cancelled by its handler. An event handled on its first attempt
-- writes nothing here; its partition's position says it is done.

CREATE TABLE :"schema".deliveries (
  consumer    text        NOT NULL REFERENCES :"schema".consumers (name) ON DELETE CASCADE,
  event_id    uuid        NOT NULL,
  partition   integer     NOT NULL,
  position    bigint      NOT NULL,
  subject     text        COLLATE "C" NOT NULL,
  -- A copy of the whole event, so a dead letter outlives retention.
  event       json        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('retryable', 'discarded', 'cancelled')),
  attempts    integer     NOT NULL CHECK (attempts >= 0),
  -- {"message", "code", "stack"} of the last failure.
  last_error  json,
  schedule_at timestamptz,
  -- Behind the partition's position: a dead letter an operator retried, which
  -- the partition's owner picks up apart from the live sequence.
  replay      boolean     NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- What a member starting on a partition loads: records after its position.
CREATE INDEX deliveries_partition ON :"schema".deliveries (consumer, partition, position);
-- Listing newest first, in pages.
CREATE INDEX deliveries_updated ON :"schema".deliveries (updated_at DESC, event_id DESC);
-- Replays waiting for their owner: almost always empty.
CREATE INDEX deliveries_replays ON :"schema".deliveries (consumer, schedule_at)
  WHERE replay AND state = 'retryable';

-- The one definition of a delivery filter (list, retry, discard). A NULL
-- argument matches everything. Plain SQL, so the planner inlines it.
CREATE FUNCTION :"schema".delivery_matches(
  d :"schema".deliveries, p_consumer text, p_state text, p_subject_regex text,
  p_error_code text, p_since timestamptz, p_until timestamptz, p_event_id uuid
) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT (p_consumer IS NULL OR d.consumer = p_consumer)
     AND (p_state IS NULL OR d.state = p_state)
     AND (p_subject_regex IS NULL OR d.subject ~ p_subject_regex)
     AND (p_error_code IS NULL OR d.last_error->>'code' = p_error_code)
     AND (p_since IS NULL OR d.updated_at >= p_since)
     AND (p_until IS NULL OR d.updated_at < p_until)
     AND (p_event_id IS NULL OR d.event_id = p_event_id)
$$;
