-- Retention and legal holds (mail-depot).
--
-- retain_until: the message may be deleted from this time on (ms), no earlier. Set at archiving
-- from the deciding policy's retention; a later arrival of the same content only extends it.
-- Messages archived before this migration keep the default retention (3650 days) from their
-- archive time.
ALTER TABLE archive_messages ADD COLUMN retain_until INTEGER NOT NULL DEFAULT 0;
UPDATE archive_messages SET retain_until = archived_at + 3650 * 86400000;
CREATE INDEX archive_messages_retain ON archive_messages (retain_until, pos);

-- Legal holds: by message (archive_id) or by query (every message the query finds, including
-- mail archived after the hold was placed). A removed hold stays, with who removed it and when.
CREATE TABLE archive_holds (
  id          TEXT PRIMARY KEY,
  archive_id  TEXT,
  query       TEXT,
  reason      TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  removed_by  TEXT,
  removed_at  INTEGER,
  CHECK ((archive_id IS NULL) <> (query IS NULL))
);
CREATE INDEX archive_holds_message ON archive_holds (archive_id) WHERE archive_id IS NOT NULL AND removed_at IS NULL;

-- Deletions (tombstones): one per message the expiry job removed, hash-chained like the
-- arrivals. The arrivals' chain entries stay; `archive verify` accepts a chain entry without
-- its message only when a deletion of that message with the same content hash is here.
CREATE TABLE archive_deletions (
  pos          INTEGER PRIMARY KEY,
  seq          INTEGER NOT NULL UNIQUE,
  at           INTEGER NOT NULL,
  archive_id   TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  archived_at  INTEGER NOT NULL,
  retain_until INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  actor        TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX archive_deletions_archive ON archive_deletions (archive_id);
