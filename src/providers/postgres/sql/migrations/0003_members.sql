-- Competing members: who runs each consumer, who owns each partition, and
-- who allocates.

-- Running members. A member is dead when its heartbeat expired, or, where a
-- session is known, as soon as that database session is gone (the process
-- died and the server closed its connection).
CREATE TABLE :"schema".members (
  consumer        text        NOT NULL REFERENCES :"schema".consumers (name) ON DELETE CASCADE,
  member_id       text        NOT NULL,
  host            text        NOT NULL,
  pid             integer     NOT NULL,
  -- The partition count the member was started with: it only works partitions of that count.
  partitions      integer     NOT NULL,
  -- The backend of the member process's own session connection, with its
  -- start time so a recycled pid is not mistaken for it. NULL: not known
  -- (PGlite, a transaction pooler), so only the heartbeat tells.
  session_pid     integer,
  session_started timestamptz,
  joined_at       timestamptz NOT NULL DEFAULT now(),
  heartbeat_at    timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (consumer, member_id)
);

-- Who owns each partition of each consumer. member_id NULL: free. revoking:
-- the allocator asked the owner to let go (it drains, commits, releases),
-- so two live members never work one partition. generation: the consumer's
-- generation when the owner got the partition; a commit carries the
-- member's generation and is refused unless the member owns the partition
-- and got it at or before that generation.
CREATE TABLE :"schema".assignments (
  consumer   text    NOT NULL REFERENCES :"schema".consumers (name) ON DELETE CASCADE,
  partition  integer NOT NULL,
  member_id  text,
  generation bigint  NOT NULL DEFAULT 0,
  revoking   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (consumer, partition)
);

-- Bumped on every change of a consumer's allocation.
ALTER TABLE :"schema".consumers ADD COLUMN generation bigint NOT NULL DEFAULT 0;

-- Leadership of the allocator. With session advisory locks the lease is the
-- leader's heartbeat, so a frozen leader can be recognized and removed; with
-- leases alone (PGlite, transaction poolers) it is the leadership itself.
CREATE TABLE :"schema".leases (
  name            text        PRIMARY KEY,
  holder          text,
  host            text,
  pid             integer,
  term            bigint      NOT NULL DEFAULT 0,
  session_pid     integer,
  session_started timestamptz,
  acquired_at     timestamptz,
  expires_at      timestamptz NOT NULL DEFAULT '-infinity'
);
