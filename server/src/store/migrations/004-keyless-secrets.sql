-- Keyless entries (API.md "Keys"): a personal entry for a provider whose catalog entry says
-- keyRequired: false (a local Ollama) holds no key, so iv, ct and wrapped_dek become nullable,
-- all three NULL or none. SQLite cannot drop NOT NULL in place: the table is rebuilt with every
-- row, the same foreign key and the same index. Nothing references secrets, so dropping the old
-- table fires no foreign key action although foreign_keys is on (it cannot be switched off inside
-- the migration transaction); the copy is checked against users as it is inserted.
CREATE TABLE secrets_rebuilt (
  id                TEXT PRIMARY KEY,    -- chosen by the client, bound into the AAD
  user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider          TEXT NOT NULL,
  label             TEXT NOT NULL,
  default_model     TEXT,
  base_url          TEXT NOT NULL DEFAULT '',
  hint_prefix       TEXT NOT NULL,
  hint_last4        TEXT NOT NULL,
  iv                TEXT,                -- NULL, with ct and wrapped_dek, for a keyless entry
  ct                TEXT,
  wrapped_dek       TEXT,
  status            TEXT NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'valid', 'invalid')),
  position          INTEGER NOT NULL,
  version           INTEGER NOT NULL DEFAULT 1,
  created_at        TEXT NOT NULL,
  rotated_at        TEXT,
  last_used_at      TEXT,
  last_verified_at  TEXT,
  CHECK ((iv IS NULL) = (ct IS NULL) AND (ct IS NULL) = (wrapped_dek IS NULL))
);

INSERT INTO secrets_rebuilt (id, user_id, provider, label, default_model, base_url, hint_prefix, hint_last4, iv, ct, wrapped_dek,
  status, position, version, created_at, rotated_at, last_used_at, last_verified_at)
SELECT id, user_id, provider, label, default_model, base_url, hint_prefix, hint_last4, iv, ct, wrapped_dek,
  status, position, version, created_at, rotated_at, last_used_at, last_verified_at
FROM secrets;

DROP TABLE secrets;
ALTER TABLE secrets_rebuilt RENAME TO secrets;
CREATE INDEX secrets_user ON secrets(user_id, position);
