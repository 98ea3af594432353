-- The consumer registry and the position store.

-- One row per consumer: a named kind of work over one event sequence.
CREATE TABLE :"schema".consumers (
  name         text        PRIMARY KEY,
  -- 'log', 'category:<name>' or 'stream:<name>'
  sequence     text        NOT NULL,
  subjects     text[]      NOT NULL DEFAULT '{}',
  partitions   integer     NOT NULL CHECK (partitions BETWEEN 1 AND 1024),
  max_attempts integer     NOT NULL CHECK (max_attempts >= 1),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Where each consumer has got to, one row per partition (not per event).
-- The consumer has finished every event of the partition up to `position`.
CREATE TABLE :"schema".consumer_positions (
  consumer   text        NOT NULL REFERENCES :"schema".consumers (name) ON DELETE CASCADE,
  partition  integer     NOT NULL,
  position   bigint      NOT NULL,
  generation bigint      NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, partition)
);
