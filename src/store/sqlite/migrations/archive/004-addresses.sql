-- Who a message is from and to, exactly (lower-case addresses): the header From/To/Cc and every
-- arrival's envelope sender and recipients. A user sees only mail one of their addresses is in
-- (the full-text index matches tokens, not whole addresses, so it cannot decide that alone).
CREATE TABLE archive_addresses (
  address TEXT NOT NULL,
  pos     INTEGER NOT NULL,                -- archive_messages.pos
  PRIMARY KEY (address, pos)
) WITHOUT ROWID;
CREATE INDEX archive_addresses_pos ON archive_addresses (pos);
-- Mail archived before: its envelope addresses (header addresses are added from now on).
INSERT OR IGNORE INTO archive_addresses (address, pos)
  SELECT lower(e.sender), m.pos FROM archive_entries e JOIN archive_messages m ON m.id = e.archive_id WHERE e.sender <> '';
INSERT OR IGNORE INTO archive_addresses (address, pos)
  SELECT lower(r.value), m.pos FROM archive_entries e JOIN archive_messages m ON m.id = e.archive_id, json_each(e.recipients) r;
