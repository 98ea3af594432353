-- Whether any API key is in force (not revoked).
-- No parameters. Returns active (boolean).
SELECT EXISTS (SELECT 1 FROM :"schema".api_keys WHERE revoked_at IS NULL) AS active;
