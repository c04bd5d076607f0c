-- Organization key versions from one counter (migration 007 gave each row its own, from 1): every
-- put, creation or rotation, takes the counter's next value. Ids are chosen by the client, so a key
-- deleted and created again under its old id used to start again at version 1, and a provider's
-- refusal of the old key, or a route that listed it, could be taken for the new one.
CREATE TABLE org_secret_versions (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  last  INTEGER NOT NULL
);
INSERT INTO org_secret_versions (id, last) SELECT 1, COALESCE(MAX(version), 0) FROM org_secrets;
