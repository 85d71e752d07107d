-- Who an archived message is from and to, exactly (mirrors SQLite archive/004-addresses.sql):
-- the lower-case header From/To/Cc addresses and every arrival's envelope sender and
-- recipients. A user sees only mail one of their addresses is in (search `participants`).
CREATE TABLE archive_addresses (
  address TEXT NOT NULL,
  pos     BIGINT NOT NULL,                 -- archive_messages.pos
  PRIMARY KEY (address, pos)
);
CREATE INDEX archive_addresses_pos ON archive_addresses (pos);
-- Mail archived before: its envelope addresses.
INSERT INTO archive_addresses (address, pos)
  SELECT lower(e.sender), m.pos FROM archive_entries e JOIN archive_messages m ON m.id = e.archive_id WHERE e.sender <> ''
  ON CONFLICT DO NOTHING;
INSERT INTO archive_addresses (address, pos)
  SELECT lower(r.value), m.pos FROM archive_entries e JOIN archive_messages m ON m.id = e.archive_id,
    jsonb_array_elements_text(e.recipients::jsonb) AS r (value)
  WHERE r.value <> ''
  ON CONFLICT DO NOTHING;
