-- POP3 messages already fetched, per mailbox (pop3-proxy). A row is written in the same
-- transaction as the mail it became (queue-store.ts insert), so a fetched message is either
-- both in the queue and known here, or neither: fetched exactly once, even across a crash.
CREATE TABLE pop3_uidls (
  mailbox    TEXT NOT NULL,
  uidl       TEXT NOT NULL,
  mail_id    TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (mailbox, uidl)
) WITHOUT ROWID;
