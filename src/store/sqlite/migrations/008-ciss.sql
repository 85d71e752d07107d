-- CISS (challenge-response): senders a local recipient wrote to (known until an expiry), and when
-- each unknown sender was last challenged (at most one challenge per sender per period).
CREATE TABLE ciss_known (
  recipient TEXT NOT NULL,
  sender    TEXT NOT NULL,
  until     INTEGER NOT NULL,
  PRIMARY KEY (recipient, sender)
);
CREATE TABLE ciss_challenges (
  sender TEXT PRIMARY KEY,
  at     INTEGER NOT NULL
);
CREATE INDEX ciss_challenges_at ON ciss_challenges (at);
