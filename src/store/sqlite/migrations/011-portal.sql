-- The encryption portal (portal-crypt): mails waiting for recipients without keys, each sealed
-- (AES-256-GCM) under its own content key, and that key wrapped under the appliance's portal key
-- (until the first visit) or a key derived from a password. This database never holds either a
-- content key or a password in clear; `portal_accounts` keeps an scrypt/HKDF verifier only.
CREATE TABLE portal_messages (
  id          TEXT PRIMARY KEY,
  mail_id     TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  sender      TEXT NOT NULL,
  from_header TEXT NOT NULL,
  subject     TEXT NOT NULL,
  wrap        TEXT NOT NULL,
  wrapped_key BLOB NOT NULL,
  salt        BLOB,
  size        INTEGER NOT NULL,
  content     BLOB NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  opened_at   INTEGER,
  replies     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX portal_messages_recipient ON portal_messages (recipient, created_at);
CREATE INDEX portal_messages_expiry ON portal_messages (expires_at);

CREATE TABLE portal_accounts (
  address    TEXT PRIMARY KEY,
  salt       BLOB NOT NULL,
  kdf        TEXT NOT NULL,
  verifier   BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
