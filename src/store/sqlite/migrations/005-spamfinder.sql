-- Spamfinder state: Bayes token counts (keyed by a 53-bit token hash, bounded by pruning the
-- least recently learned), the mails learned (so a mail is never counted twice), and the
-- company-wide / per-user filter lists.
CREATE TABLE bayes_tokens (
  h       INTEGER PRIMARY KEY,
  spam    INTEGER NOT NULL DEFAULT 0,
  ham     INTEGER NOT NULL DEFAULT 0,
  touched INTEGER NOT NULL
);
CREATE INDEX bayes_tokens_touched ON bayes_tokens (touched);

CREATE TABLE bayes_messages (
  digest TEXT PRIMARY KEY,
  class  TEXT NOT NULL,
  at     INTEGER NOT NULL
);

CREATE TABLE bayes_totals (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  spam INTEGER NOT NULL,
  ham  INTEGER NOT NULL
);
INSERT INTO bayes_totals (id, spam, ham) VALUES (1, 0, 0);

CREATE TABLE filter_lists (
  id         INTEGER PRIMARY KEY,
  list       TEXT NOT NULL,
  value      TEXT NOT NULL,
  owner      TEXT NOT NULL DEFAULT '',
  comment    TEXT,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (owner, list, value)
);
