// Benchmark (not a test): the usage summary over 1,000,000 usage rows in a real SQLite file, as
// clients ask for it over HTTP: GET /v1/usage (one member, the current month and 90 days) and
// GET /v1/admin/usage (the whole organization, the current month and 90 days by member). Rows are
// inserted with one prepared statement in one transaction (the triggers of migration 005 keep the
// daily rollup as they go); the companion then runs in process on that data directory. Ranges are
// whole UTC days, as clients ask (the rollup answers them); one more row times the organization's
// month with a time of day, which still sums the call rows. Reports medians; never asserts (the
// target is under 20 ms).
// Run: pnpm exec tsx test/bench/usage-query.ts [--rows 1000000]
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { startAdminTestServer } from '../../server/src/http/routes/admin-test-support';
import { percentiles, type BenchResult, type BenchRow, numberArgument } from './types';

const MEMBERS = 50;
const DAYS = 90;
const PROVIDERS: Array<[string, string]> = [
  ['openai', 'gpt-4o-mini'],
  ['anthropic', 'claude-3-5-haiku-latest'],
  ['google', 'gemini-1.5-flash'],
  ['groq', 'llama-3.1-8b-instant'],
  ['mistral', 'mistral-small-latest'],
];
const SOURCES = ['byok', 'byok', 'byok', 'org', 'platform', 'builtin'];
const OUTCOMES = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'unreachable', 'rate_limited'];

async function timed(runs: number, call: () => Promise<{ status: number }>): Promise<{ p50: number; p99: number }> {
  await call(); // warm the page cache and the statement
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const response = await call();
    samples.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`usage query answered ${response.status}`);
  }
  const { p50, p99 } = percentiles(samples);
  return { p50: Math.round(p50 * 100) / 100, p99: Math.round(p99 * 100) / 100 };
}

export async function runUsageQueryBench(rowCount = numberArgument('rows', 1_000_000)): Promise<BenchResult> {
  const harness = await startAdminTestServer({ env: { BYOK_RATE_LIMITS: 'off' } });
  try {
    const { server, client } = harness;
    const owner = await client.register();
    const members = [owner.userId, ...Array.from({ length: MEMBERS - 1 }, () => randomUUID())];
    const now = Date.now();
    const insert = server.db.prepare(
      `INSERT INTO usage_events (id, org_id, user_id, request_id, at, provider, model, source, secret_id, task,
         input_tokens, output_tokens, cost_micros, latency_ms, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
    );
    const started = performance.now();
    server.db.transaction(() => {
      for (let i = 0; i < rowCount; i++) {
        const [provider, model] = PROVIDERS[i % PROVIDERS.length] ?? ['openai', 'gpt-4o-mini'];
        // Spread evenly over the last 90 days, newest last, as a real log grows.
        const at = new Date(now - ((rowCount - i) / rowCount) * DAYS * 86_400_000).toISOString();
        insert.run(randomUUID(), owner.orgId, members[i % MEMBERS], `req-${i}`, at, provider, model, SOURCES[i % SOURCES.length], i % 7 === 0 ? 'enrich' : 'summary', 200 + (i % 900), 40 + (i % 200), 30 + (i % 500), 300 + (i % 2000), OUTCOMES[i % OUTCOMES.length]);
      }
    })();
    const insertSeconds = (performance.now() - started) / 1000;
    server.db.pragma('wal_checkpoint(TRUNCATE)');

    const token = owner.accessToken;
    // The day before the oldest row: every row, whole UTC days.
    const from = new Date(now - (DAYS + 1) * 86_400_000).toISOString().slice(0, 10);
    const monthStart = new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1));
    // The same month from one millisecond past midnight: its first (partial) day is summed from
    // usage_events, the whole days after it from the rollup.
    const timeOfDay = `from=${encodeURIComponent(new Date(monthStart.getTime() + 1).toISOString())}`;
    const get = (path: string) => () => client.request('GET', path, { token });
    const indexes = (server.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_events' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((row) => row.name);
    const memberMonth = await timed(30, get('/v1/usage'));
    const member90 = await timed(30, get(`/v1/usage?from=${encodeURIComponent(from)}&groupBy=provider`));
    const orgMonth = await timed(10, get('/v1/admin/usage'));
    const org90 = await timed(5, get(`/v1/admin/usage?from=${encodeURIComponent(from)}&groupBy=member`));
    const orgMonthRaw = await timed(5, get(`/v1/admin/usage?${timeOfDay}`));
    const rollupRows = (server.db.prepare('SELECT COUNT(*) AS n FROM usage_daily').get() as { n: number }).n;
    const note = `${rowCount.toLocaleString('en')} rows, ${MEMBERS} members, ${DAYS} days; target < 20 ms`;
    const rows: BenchRow[] = [
      { metric: 'insert rows (one statement, one transaction, rollup triggers)', value: Math.round(rowCount / insertSeconds), unit: 'rows/s' },
      { metric: 'GET /v1/usage, member, current month p50', value: memberMonth.p50, unit: 'ms', note },
      { metric: 'GET /v1/usage, member, 90 days by provider p50', value: member90.p50, unit: 'ms', note },
      { metric: 'GET /v1/admin/usage, org, current month p50', value: orgMonth.p50, unit: 'ms', note },
      { metric: 'GET /v1/admin/usage, org, 90 days by member p50', value: org90.p50, unit: 'ms', note: `all ${rowCount.toLocaleString('en')} rows` },
      { metric: 'GET /v1/admin/usage, org, current month from a time of day p50', value: orgMonthRaw.p50, unit: 'ms', note: 'partial first and last days from usage_events, the rest from the rollup' },
      { metric: 'GET /v1/usage, member, current month p99', value: memberMonth.p99, unit: 'ms' },
      { metric: 'GET /v1/admin/usage, org, current month p99', value: orgMonth.p99, unit: 'ms' },
    ];
    process.stderr.write(`usage-query: indexes on usage_events: ${indexes.join(', ')}; ${rollupRows} usage_daily rows\n`);
    return { name: 'usage-query', rows };
  } finally {
    // The test server removes the temporary data directory it made.
    await harness.server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runUsageQueryBench();
  for (const row of result.rows) process.stdout.write(`| ${row.metric} | ${row.value} | ${row.unit} | ${row.note ?? ''} |\n`);
}
