-- A member's usage summary (GET /v1/usage) reads only these columns: a covering index answers it
-- from the index alone, without a table lookup per row (test/bench/usage-query.ts, 1,000,000
-- rows: the query for a member's current month from about 27 ms to about 2 ms). It replaces
-- usage_events_user_at, its prefix. The organization-wide summary keeps usage_events_org_at: a
-- covering twin did not help it (its GROUP BY day sorts anyway) and would slow every insert.
DROP INDEX IF EXISTS usage_events_user_at;
CREATE INDEX usage_events_user_cover ON usage_events(user_id, at, org_id, provider, model, source, input_tokens, output_tokens, cost_micros);
