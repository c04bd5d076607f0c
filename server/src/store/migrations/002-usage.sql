-- Usage metering and idempotency of POST /v1/enrich (API.md "Usage", "Conventions").
-- One row per provider attempt (or builtin run, or verification), whatever its outcome; rows
-- are never updated. No foreign keys: usage stays for billing when a member or key is removed.
CREATE TABLE usage_events (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  at             TEXT NOT NULL,              -- ISO 8601 UTC, when the attempt started
  provider       TEXT NOT NULL,
  model          TEXT NOT NULL,
  source         TEXT NOT NULL CHECK (source IN ('byok', 'org', 'platform', 'builtin')),
  secret_id      TEXT,
  task           TEXT NOT NULL CHECK (task IN ('summary', 'entities', 'enrich', 'verify')),
  input_tokens   INTEGER NOT NULL DEFAULT 0,
  output_tokens  INTEGER NOT NULL DEFAULT 0,
  cost_micros    INTEGER NOT NULL DEFAULT 0,
  latency_ms     INTEGER NOT NULL DEFAULT 0,
  outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'unreachable', 'rate_limited', 'key_rejected', 'quota_exceeded', 'error'))
);
CREATE INDEX usage_events_org_at ON usage_events(org_id, at);
CREATE INDEX usage_events_user_at ON usage_events(user_id, at);
-- The monthly quota check reads one organization's successful platform calls of one month.
CREATE INDEX usage_events_quota ON usage_events(org_id, source, outcome, at);

-- The stored answer of an enrichment a client named with x-request-id: a repeat by the same user
-- within 24 hours gets it back without a provider call. Written in the same transaction as the
-- usage rows of that request, so a request is billed exactly once.
CREATE TABLE idempotency_records (
  user_id     TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  status      INTEGER NOT NULL,
  response    TEXT NOT NULL,                 -- JSON body as sent
  created_at  TEXT NOT NULL,
  PRIMARY KEY (user_id, request_id)
);
CREATE INDEX idempotency_records_created ON idempotency_records(created_at);
