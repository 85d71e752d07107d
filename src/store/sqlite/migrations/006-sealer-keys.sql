-- The mail-sealer's certificates and OpenPGP keys. Private keys arrive sealed (AES-256-GCM under
-- <dataDir>/keys/sealer.key, done by the mail-sealer), so this database never holds one in clear.
CREATE TABLE sealer_keys (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL,
  source         TEXT NOT NULL,
  subject        TEXT NOT NULL,
  issuer         TEXT,
  serial         TEXT,
  not_before     INTEGER,
  not_after      INTEGER,
  public_data    TEXT NOT NULL,
  sealed_private BLOB,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);

CREATE TABLE sealer_key_addresses (
  address TEXT NOT NULL,
  key_id  TEXT NOT NULL REFERENCES sealer_keys (id) ON DELETE CASCADE,
  PRIMARY KEY (address, key_id)
);
CREATE INDEX sealer_key_addresses_key ON sealer_key_addresses (key_id);
