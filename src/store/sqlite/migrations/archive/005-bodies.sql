-- Body dedup: the body part of a mail (after the header block's empty line) stored once per
-- distinct body, compressed and encrypted like a whole mail; messages archived from now on whose
-- body is stored apart keep only their header block in archive_blobs and name the body here.
-- Messages with body_pos NULL (all mail archived before this migration, large mails) keep the
-- whole mail in their own blob, as before. content_hash and size of a message always cover the
-- whole mail (header block + body), so the chain and `archive verify` prove it unchanged.
CREATE TABLE archive_bodies (
  pos          INTEGER PRIMARY KEY,
  body_hash    TEXT NOT NULL UNIQUE,       -- SHA-256 of the body part's plaintext
  size         INTEGER NOT NULL,
  stored_size  INTEGER NOT NULL,
  compression  TEXT NOT NULL,
  key_id       TEXT NOT NULL,
  data         BLOB NOT NULL,
  dict         BLOB                        -- sealed header block of the first copy: later copies' header blocks are compressed against it
);
ALTER TABLE archive_messages ADD COLUMN body_pos INTEGER;
CREATE INDEX archive_messages_body ON archive_messages (body_pos) WHERE body_pos IS NOT NULL;
-- has:attachment: counted and paged newest first from this index, not by reading every message.
CREATE INDEX archive_messages_attachment ON archive_messages (date, pos) WHERE has_attachment = 1;
-- A shared body's text is indexed once (rowid = archive_bodies.pos): a message with body_pos has
-- only its header columns in archive_fts (body and attachments empty), its body's are here. A
-- search term on the body or on any column matches either (archive-match.ts); a phrase never
-- spans columns in FTS5, so results are the same as with one row per message.
CREATE VIRTUAL TABLE archive_body_fts USING fts5(
  body, attachments,
  content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
