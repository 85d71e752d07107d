-- The compliance log: append-only, hash-chained records (compliance-log service). `pos` is the
-- storage position (append order); verification walks it and checks `seq` and the chain against
-- it, so a record that was changed, removed or moved is found. Nothing updates or deletes rows.
CREATE TABLE compliance_log (
  pos       INTEGER PRIMARY KEY,
  seq       INTEGER NOT NULL UNIQUE,
  at        INTEGER NOT NULL,
  category  TEXT NOT NULL,
  action    TEXT NOT NULL,
  actor     TEXT NOT NULL,
  subject   TEXT,
  detail    TEXT,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE INDEX compliance_log_category ON compliance_log (category, seq);
CREATE INDEX compliance_log_at ON compliance_log (at);
