-- Console sessions and named API tokens (mirrors SQLite 010-sessions-tokens.sql): only the
-- SHA-256 of a session id or token is kept. Shared by every node, so a session opened through
-- one node is valid on all of them.
CREATE TABLE sessions (
  id_hash     TEXT PRIMARY KEY,
  user_name   TEXT NOT NULL,
  role        TEXT NOT NULL,
  csrf_token  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
  name         TEXT PRIMARY KEY,
  role         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  created_by   TEXT NOT NULL,
  last_used_at BIGINT
);
