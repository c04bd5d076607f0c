-- Foundation schema: organizations, accounts, sessions, invites, keys, audit chain, grant replay.
-- Times are ISO 8601 UTC strings; ids are lowercase UUIDs unless noted.

CREATE TABLE orgs (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  plan        TEXT NOT NULL,
  policy      TEXT,                      -- JSON; NULL = the plan's defaults
  created_at  TEXT NOT NULL
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  org_id        TEXT NOT NULL REFERENCES orgs(id),
  email         TEXT NOT NULL UNIQUE,    -- normalized: trimmed, lowercase
  role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  kdf           TEXT NOT NULL,           -- JSON KdfParams chosen by the client
  auth_hash     TEXT NOT NULL,           -- scrypt of the authProof
  created_at    TEXT NOT NULL,
  last_seen_at  TEXT
);
CREATE INDEX users_org ON users(org_id);

-- One family per login; every refresh token and access token names its family.
CREATE TABLE auth_families (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE INDEX auth_families_user ON auth_families(user_id);

CREATE TABLE refresh_tokens (
  hash        TEXT PRIMARY KEY,          -- hex SHA-256 of the opaque token
  family_id   TEXT NOT NULL REFERENCES auth_families(id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  used_at     TEXT,
  revoked_at  TEXT,
  expires_at  TEXT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

CREATE TABLE invites (
  code_hash   TEXT PRIMARY KEY,          -- hex SHA-256 of the code
  org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  created_by  TEXT,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  used_at     TEXT,
  used_by     TEXT
);

CREATE TABLE secrets (
  id                TEXT PRIMARY KEY,    -- chosen by the client, bound into the AAD
  user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider          TEXT NOT NULL,
  label             TEXT NOT NULL,
  default_model     TEXT,
  base_url          TEXT NOT NULL DEFAULT '',
  hint_prefix       TEXT NOT NULL,
  hint_last4        TEXT NOT NULL,
  iv                TEXT NOT NULL,
  ct                TEXT NOT NULL,
  wrapped_dek       TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'valid', 'invalid')),
  position          INTEGER NOT NULL,
  version           INTEGER NOT NULL DEFAULT 1,
  created_at        TEXT NOT NULL,
  rotated_at        TEXT,
  last_used_at      TEXT,
  last_verified_at  TEXT
);
CREATE INDEX secrets_user ON secrets(user_id, position);

CREATE TABLE org_secrets (
  id                TEXT PRIMARY KEY,
  org_id            TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  provider          TEXT NOT NULL,
  label             TEXT NOT NULL,
  default_model     TEXT,
  base_url          TEXT NOT NULL DEFAULT '',
  hint_prefix       TEXT NOT NULL,
  hint_last4        TEXT NOT NULL,
  iv                TEXT NOT NULL,
  ct                TEXT NOT NULL,
  wrapped_dek       TEXT NOT NULL,
  kek_id            TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'valid', 'invalid')),
  created_at        TEXT NOT NULL,
  rotated_at        TEXT,
  last_used_at      TEXT,
  last_verified_at  TEXT
);
CREATE INDEX org_secrets_org ON org_secrets(org_id);

-- Append-only, hash-chained per organization (API.md "Audit chain").
CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id     TEXT NOT NULL,
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,               -- user id, or 'system'
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,               -- secret, user or org id
  provider   TEXT,
  detail     TEXT NOT NULL,               -- JSON object; never a secret
  prev_hash  TEXT NOT NULL,               -- lowercase hex
  hash       TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events(org_id, id);
CREATE INDEX audit_events_actor ON audit_events(actor, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

-- Seen grant ids, kept until their exp so a restart does not reopen the replay window.
CREATE TABLE grant_jti (
  jti  TEXT PRIMARY KEY,
  exp  INTEGER NOT NULL                   -- seconds since the epoch
);
CREATE INDEX grant_jti_exp ON grant_jti(exp);
