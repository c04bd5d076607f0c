-- Personal key versions from one counter, as migration 008 did for organization keys: every
-- creation, rotation and edit takes the counter's next value. Ids are chosen by the client, so a
-- key deleted and created again under its old id used to start again at version 1: a rotation
-- sent with the old key's `If-Match: "1"` replaced the new key, and a provider's refusal of the old
-- key (released at version 1) marked the new one invalid. Versions of keys deleted before this
-- migration are not known; the counter starts past every version still stored.
CREATE TABLE secret_versions (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  last  INTEGER NOT NULL
);
INSERT INTO secret_versions (id, last) SELECT 1, COALESCE(MAX(version), 0) FROM secrets;
