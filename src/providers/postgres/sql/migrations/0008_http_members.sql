-- Members over HTTP, shared by every server over this database, so a worker
-- may call any of them (see member-directory.ts). A row is written when a
-- member starts, moves to another server or ends: never per delivery.
CREATE TABLE :"schema".gateway_servers (
  id      text        COLLATE "C" PRIMARY KEY,
  -- Where the other servers pass calls on to.
  url     text        NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT statement_timestamp()
);

CREATE TABLE :"schema".http_members (
  id         text        COLLATE "C" PRIMARY KEY,
  consumer   text        COLLATE "C" NOT NULL,
  -- SHA-256 of the member's token; the token itself is never stored.
  token_hash bytea       NOT NULL,
  -- The member's start: consumer options and terms, to start it again elsewhere.
  spec       jsonb       NOT NULL,
  -- The hosting server; NULL once it stopped, until a server takes the member.
  server     text        COLLATE "C",
  ended      text        CHECK (ended IN ('stopped', 'expired')),
  changed_at timestamptz NOT NULL DEFAULT statement_timestamp()
);

CREATE INDEX http_members_server ON :"schema".http_members (server);
