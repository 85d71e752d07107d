-- The encryption portal (mirrors SQLite 011-portal.sql): sealed mails waiting for recipients
-- without keys, and the recipients' password verifiers. Never a content key or a password in
-- clear. The sealed content is stored uncompressed out of line (it is ciphertext).
CREATE TABLE portal_messages (
  id          TEXT PRIMARY KEY,
  mail_id     TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  sender      TEXT NOT NULL,
  from_header TEXT NOT NULL,
  subject     TEXT NOT NULL,
  wrap        TEXT NOT NULL,
  wrapped_key BYTEA NOT NULL,
  salt        BYTEA,
  size        BIGINT NOT NULL,
  content     BYTEA NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  opened_at   BIGINT,
  replies     INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE portal_messages ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX portal_messages_recipient ON portal_messages (recipient, created_at);
CREATE INDEX portal_messages_created ON portal_messages (created_at);
CREATE INDEX portal_messages_expiry ON portal_messages (expires_at);

CREATE TABLE portal_accounts (
  address    TEXT PRIMARY KEY,
  salt       BYTEA NOT NULL,
  kdf        TEXT NOT NULL,
  verifier   BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
