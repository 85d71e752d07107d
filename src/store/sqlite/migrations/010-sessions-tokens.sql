-- Console sessions (kept across restarts; the session id only as its SHA-256) and the named API
-- tokens for scripts (only the token's SHA-256 is kept; the token is shown once when made).
CREATE TABLE sessions (
  id_hash     TEXT PRIMARY KEY,
  user_name   TEXT NOT NULL,
  role        TEXT NOT NULL,
  csrf_token  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
  name         TEXT PRIMARY KEY,
  role         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  last_used_at INTEGER
);
