-- Local users of the admin and user consoles: a name, a role, an e-mail address and an scrypt
-- password hash (src/core/password.ts).
CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  role          TEXT NOT NULL,
  email         TEXT,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
