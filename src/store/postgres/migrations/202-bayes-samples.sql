-- The content filter's calibration sample (mirrors SQLite 012-bayes-samples.sql): learned mails
-- with their Bayes tokens (float64 blob), source and rule hits, bounded per class.
CREATE TABLE bayes_samples (
  digest TEXT PRIMARY KEY,
  class  TEXT NOT NULL,
  source TEXT NOT NULL,
  rules  TEXT NOT NULL,
  tokens BYTEA NOT NULL,
  at     BIGINT NOT NULL
);
CREATE INDEX bayes_samples_class_at ON bayes_samples (class, at);
