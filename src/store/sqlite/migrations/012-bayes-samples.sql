-- The calibration sample of the content filter: learned mails kept with their Bayes tokens (a
-- blob of float64 hashes), their source (list or sender site) and rule hits, so the appliance can
-- score each by a Bayes that never saw its source and fit its Bayes weights to this site
-- (services/spamfinder/rules/calibrate.ts). Bounded per class (bayes.calibrationSample).
CREATE TABLE bayes_samples (
  digest TEXT PRIMARY KEY,
  class  TEXT NOT NULL,
  source TEXT NOT NULL,
  rules  TEXT NOT NULL,
  tokens BLOB NOT NULL,
  at     INTEGER NOT NULL
);
CREATE INDEX bayes_samples_class_at ON bayes_samples (class, at);
