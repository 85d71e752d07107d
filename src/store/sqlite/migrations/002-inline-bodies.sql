-- Bodies of small mails live in the database, so the one WAL sync that makes a new mail's
-- queue row durable makes its body durable too (see body-store.ts).
CREATE TABLE bodies (
  key  TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
