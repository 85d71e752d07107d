-- Queues, tracking events, logs and settings of the embedded default.
CREATE TABLE mails (
  id             TEXT PRIMARY KEY,
  queue          TEXT NOT NULL,
  envelope       TEXT NOT NULL,            -- JSON Envelope
  domains        TEXT NOT NULL DEFAULT '', -- ' a.test b.test ' recipient domains, for flush
  body_key       TEXT NOT NULL,
  size           INTEGER NOT NULL,
  received_at    INTEGER NOT NULL,
  queued_at      INTEGER NOT NULL,
  not_before     INTEGER NOT NULL DEFAULT 0,
  attempts       INTEGER NOT NULL DEFAULT 0,
  lease_owner    TEXT,
  lease_until    INTEGER NOT NULL DEFAULT 0,
  held_from      TEXT,
  last_reason    TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mails_ready ON mails (queue, not_before);

CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  mail_id TEXT NOT NULL,
  at      INTEGER NOT NULL,
  queue   TEXT NOT NULL,
  event   TEXT NOT NULL,
  actor   TEXT NOT NULL,
  detail  TEXT
);
CREATE INDEX events_mail ON events (mail_id, id);

CREATE TABLE logs (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  level   TEXT NOT NULL,
  service TEXT NOT NULL,
  msg     TEXT NOT NULL,
  mail_id TEXT,
  data    TEXT
);
CREATE INDEX logs_at ON logs (at);
CREATE INDEX logs_mail ON logs (mail_id) WHERE mail_id IS NOT NULL;
CREATE INDEX logs_service ON logs (service, at);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
