-- API keys for the HTTP API. Only a SHA-256 of each key's secret is kept;
-- the id is the key's public part, shown in listings and used to revoke it.
-- A revoked key stays listed (who had access, until when) and is refused.
CREATE TABLE :"schema".api_keys (
  id          text        COLLATE "C" PRIMARY KEY,
  name        text        NOT NULL,
  scopes      text[]      NOT NULL,
  secret_hash bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT statement_timestamp(),
  revoked_at  timestamptz
);
