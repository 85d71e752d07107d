-- Fuzzy fingerprints of confirmed spam (fuzzy-filter): each print's bottom-k MinHash sketch as
-- one row per hash, found through the hash index; bounded by dropping the oldest prints.
CREATE TABLE fuzzy_prints (
  id       INTEGER PRIMARY KEY,
  digest   TEXT NOT NULL UNIQUE,
  size     INTEGER NOT NULL,
  added_at INTEGER NOT NULL,
  hits     INTEGER NOT NULL DEFAULT 0,
  last_hit INTEGER
);
CREATE TABLE fuzzy_hashes (
  h     INTEGER NOT NULL,
  print INTEGER NOT NULL REFERENCES fuzzy_prints (id) ON DELETE CASCADE
);
CREATE INDEX fuzzy_hashes_h ON fuzzy_hashes (h);
CREATE INDEX fuzzy_hashes_print ON fuzzy_hashes (print);
