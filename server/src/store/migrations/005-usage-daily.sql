-- Daily rollup of usage_events (API.md "Usage", "Usage queries"): one row per organization, UTC
-- day, member, provider, model and source with the call count and the sums the summaries show.
-- Summaries over whole UTC days (the default month is one) read it instead of every call row:
-- an organization's month over 1,000,000 rows went from 140-230 ms to about 3 ms, all of it by
-- member from about 1.5 s to under 10 ms (test/bench/usage-query.ts). Every row counts, whatever
-- its outcome or task, exactly as the COUNT(*)/SUM() over usage_events did.
--
-- Triggers keep it: each change to usage_events updates the rollup inside the same statement,
-- so the two can never disagree, not after a crash (one transaction) and not after a direct
-- DELETE (tests and operators reset quotas that way). `day` is substr(at, 1, 10): `at` is always
-- written as toISOString() (YYYY-MM-DDTHH:MM:SS.sssZ), so comparing `at` with a midnight bound
-- and comparing `day` with that bound's date select the same rows.
CREATE TABLE usage_daily (
  org_id         TEXT NOT NULL,
  day            TEXT NOT NULL,               -- YYYY-MM-DD, UTC
  user_id        TEXT NOT NULL,
  provider       TEXT NOT NULL,
  model          TEXT NOT NULL,
  source         TEXT NOT NULL,
  calls          INTEGER NOT NULL,
  input_tokens   INTEGER NOT NULL,
  output_tokens  INTEGER NOT NULL,
  cost_micros    INTEGER NOT NULL,
  PRIMARY KEY (org_id, day, user_id, provider, model, source)
) WITHOUT ROWID;
-- One member's days (GET /v1/usage, and the admin `userId` filter).
CREATE INDEX usage_daily_user ON usage_daily(org_id, user_id, day);

INSERT INTO usage_daily (org_id, day, user_id, provider, model, source, calls, input_tokens, output_tokens, cost_micros)
SELECT org_id, substr(at, 1, 10), user_id, provider, model, source, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cost_micros)
FROM usage_events
GROUP BY org_id, substr(at, 1, 10), user_id, provider, model, source;

CREATE TRIGGER usage_daily_after_insert AFTER INSERT ON usage_events
BEGIN
  INSERT INTO usage_daily (org_id, day, user_id, provider, model, source, calls, input_tokens, output_tokens, cost_micros)
  VALUES (NEW.org_id, substr(NEW.at, 1, 10), NEW.user_id, NEW.provider, NEW.model, NEW.source, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros)
  ON CONFLICT (org_id, day, user_id, provider, model, source) DO UPDATE SET
    calls = calls + 1,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_micros = cost_micros + excluded.cost_micros;
END;

-- Usage rows are never updated or deleted by the server; these keep the rollup exact when
-- someone does it anyway. A bucket left with no call goes, so no empty group ever shows.
CREATE TRIGGER usage_daily_after_delete AFTER DELETE ON usage_events
BEGIN
  UPDATE usage_daily SET
    calls = calls - 1,
    input_tokens = input_tokens - OLD.input_tokens,
    output_tokens = output_tokens - OLD.output_tokens,
    cost_micros = cost_micros - OLD.cost_micros
  WHERE org_id = OLD.org_id AND day = substr(OLD.at, 1, 10) AND user_id = OLD.user_id
    AND provider = OLD.provider AND model = OLD.model AND source = OLD.source;
  DELETE FROM usage_daily
  WHERE org_id = OLD.org_id AND day = substr(OLD.at, 1, 10) AND user_id = OLD.user_id
    AND provider = OLD.provider AND model = OLD.model AND source = OLD.source AND calls = 0;
END;

CREATE TRIGGER usage_daily_after_update
AFTER UPDATE OF org_id, user_id, at, provider, model, source, input_tokens, output_tokens, cost_micros ON usage_events
BEGIN
  UPDATE usage_daily SET
    calls = calls - 1,
    input_tokens = input_tokens - OLD.input_tokens,
    output_tokens = output_tokens - OLD.output_tokens,
    cost_micros = cost_micros - OLD.cost_micros
  WHERE org_id = OLD.org_id AND day = substr(OLD.at, 1, 10) AND user_id = OLD.user_id
    AND provider = OLD.provider AND model = OLD.model AND source = OLD.source;
  DELETE FROM usage_daily
  WHERE org_id = OLD.org_id AND day = substr(OLD.at, 1, 10) AND user_id = OLD.user_id
    AND provider = OLD.provider AND model = OLD.model AND source = OLD.source AND calls = 0;
  INSERT INTO usage_daily (org_id, day, user_id, provider, model, source, calls, input_tokens, output_tokens, cost_micros)
  VALUES (NEW.org_id, substr(NEW.at, 1, 10), NEW.user_id, NEW.provider, NEW.model, NEW.source, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_micros)
  ON CONFLICT (org_id, day, user_id, provider, model, source) DO UPDATE SET
    calls = calls + 1,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_micros = cost_micros + excluded.cost_micros;
END;
