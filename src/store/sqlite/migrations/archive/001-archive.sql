-- The archive database (<dataDir>/archive/archive.db, mail-depot). Kept apart from the queue
-- database: the archive grows for years while the queue must stay small and hot, and the two
-- are backed up, checkpointed and placed on disks independently.
--
-- archive_messages: one row per distinct content (deduplicated by content_hash). The blob is
-- the compressed, AES-256-GCM encrypted mail: small ones in archive_blobs, larger ones as files.
CREATE TABLE archive_messages (
  pos            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  content_hash   TEXT NOT NULL UNIQUE,
  size           INTEGER NOT NULL,
  stored_size    INTEGER NOT NULL,
  compression    TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  archived_at    INTEGER NOT NULL,
  date           INTEGER NOT NULL,
  from_addr      TEXT NOT NULL,
  to_addr        TEXT NOT NULL,
  cc_addr        TEXT NOT NULL,
  subject        TEXT NOT NULL,
  message_id     TEXT NOT NULL,
  attachments    TEXT NOT NULL,            -- JSON array of attachment names
  has_attachment INTEGER NOT NULL,
  blob_file      TEXT                      -- file key when the blob is a file, else in archive_blobs
);
CREATE INDEX archive_messages_date ON archive_messages (date, pos);
CREATE INDEX archive_messages_file ON archive_messages (blob_file) WHERE blob_file IS NOT NULL;

CREATE TABLE archive_blobs (
  pos  INTEGER PRIMARY KEY,                -- archive_messages.pos
  data BLOB NOT NULL
);

-- archive_entries: the hash chain, one link per arrival (a mail that came twice has two).
-- `pos` is the storage position; verification checks seq and the links against it.
CREATE TABLE archive_entries (
  pos          INTEGER PRIMARY KEY,
  seq          INTEGER NOT NULL UNIQUE,
  at           INTEGER NOT NULL,
  archive_id   TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  mail_id      TEXT,
  received_at  INTEGER NOT NULL,
  direction    TEXT NOT NULL,
  source       TEXT NOT NULL,
  sender       TEXT NOT NULL,
  recipients   TEXT NOT NULL,              -- JSON array
  client_ip    TEXT,
  trace        TEXT,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX archive_entries_archive ON archive_entries (archive_id, seq);

-- Full text: rowid = archive_messages.pos. Contentless: the text is not stored twice (the
-- mail itself is in the encrypted blob), rows can still be deleted (retention).
CREATE VIRTUAL TABLE archive_fts USING fts5(
  sender, recipients, subject, body, attachments, message_id,
  content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
