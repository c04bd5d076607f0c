// Organization-wide usage for admins (GET /v1/admin/usage) and each member's own (GET /v1/usage):
// totals, groups (by day, provider, model, source or member) and the recent calls, optionally for
// one member. Totals and groups read the whole UTC days of the range (all of the default month)
// from the daily rollup `usage_daily` (migration 005, kept exact by triggers on usage_events), and
// only the partial days at either end of a range with a time of day from the call rows. Every split
// gives the answer the call rows alone give (admin-usage-rollup.test.ts checks it over random
// data). Recent calls are always the newest rows.
import { resolveUsageRange } from '@byok/shared/wire/usage';
import type { UsageGroup, UsageResponse, UsageRow, UsageTotals } from '@byok/shared/wire/usage';
import type { AdminUsageGroupBy } from '@byok/shared/wire/admin';
import type { Db } from '../../store/db';
import { StatementCache } from '../../store/statement-cache';

const RECENT_LIMIT = 50;

/** Where totals and groups are summed from, and how its columns read. */
interface SummarySource {
  table: string;
  /** The column compared with the range bounds; `bound` turns an ISO bound into its values. */
  time: string;
  bound: (iso: string) => string;
  day: string;
  sums: string;
  /** How one member's rows are found (the planner, without statistics, prefers a wider scan). */
  memberIndex: string;
}

/** One row per call: any range. */
const EVENTS: SummarySource = {
  table: 'usage_events',
  time: 'u.at',
  bound: (iso) => iso,
  day: 'substr(u.at, 1, 10)',
  sums: 'COUNT(*) AS calls, SUM(u.input_tokens) AS inputTokens, SUM(u.output_tokens) AS outputTokens, SUM(u.cost_micros) AS costMicros',
  // Left to the planner: it already picks the covering usage_events_user_cover (migration 003).
  memberIndex: '',
};

/** One row per organization, day, member, provider, model and source: whole UTC days only. */
const DAILY: SummarySource = {
  table: 'usage_daily',
  time: 'u.day',
  bound: (iso) => iso.slice(0, 10),
  day: 'u.day',
  sums: 'SUM(u.calls) AS calls, SUM(u.input_tokens) AS inputTokens, SUM(u.output_tokens) AS outputTokens, SUM(u.cost_micros) AS costMicros',
  // Else the primary key walks every member's buckets of the range to keep one member's.
  memberIndex: 'INDEXED BY usage_daily_user',
};

const DAY_MS = 86_400_000;

/** One piece of a range and where it is summed from. */
interface RangePart {
  readonly source: SummarySource;
  readonly from: string;
  readonly to: string;
}

/**
 * [from, to) as the call rows of its partial first and last days around the rollup's whole days
 * between them; a range without a whole UTC day inside is read from the call rows alone.
 */
function splitRange(from: Date, to: Date): RangePart[] {
  const firstMidnight = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const lastMidnight = Math.floor(to.getTime() / DAY_MS) * DAY_MS;
  const iso = (ms: number): string => new Date(ms).toISOString();
  if (firstMidnight >= lastMidnight) return [{ source: EVENTS, from: from.toISOString(), to: to.toISOString() }];
  const parts: RangePart[] = [];
  if (from.getTime() < firstMidnight) parts.push({ source: EVENTS, from: from.toISOString(), to: iso(firstMidnight) });
  parts.push({ source: DAILY, from: iso(firstMidnight), to: iso(lastMidnight) });
  if (lastMidnight < to.getTime()) parts.push({ source: EVENTS, from: iso(lastMidnight), to: to.toISOString() });
  return parts;
}

function groupKey(source: SummarySource, groupBy: AdminUsageGroupBy): string {
  switch (groupBy) {
    case 'day':
      return source.day;
    case 'member':
      return 'u.user_id';
    default:
      return `u.${groupBy}`;
  }
}

interface TotalsRow {
  // SUM() over no rows is NULL, and so is SUM(calls) of the rollup.
  calls: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costMicros: number | null;
}

function totalsOf(row: TotalsRow | undefined): UsageTotals {
  return { calls: row?.calls ?? 0, inputTokens: row?.inputTokens ?? 0, outputTokens: row?.outputTokens ?? 0, costMicros: row?.costMicros ?? 0 };
}

export class AdminUsageService {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  report(orgId: string, query: { from?: string | undefined; to?: string | undefined; groupBy: AdminUsageGroupBy; userId?: string | undefined }, now = new Date()): UsageResponse {
    const range = resolveUsageRange(query, now);
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const parts = splitRange(range.from, range.to);
    const member = query.userId === undefined ? [] : [query.userId];
    const memberClause = query.userId === undefined ? '' : ' AND u.user_id = ?';

    // Each part sums its own rows (per group); the outer query adds the parts up.
    const params = parts.flatMap((part) => [orgId, part.source.bound(part.from), part.source.bound(part.to), ...member]);
    const summed = (part: RangePart, select: string, groupBy: string): string => {
      const index = query.userId === undefined ? '' : part.source.memberIndex;
      const where = `u.org_id = ? AND ${part.source.time} >= ? AND ${part.source.time} < ?${memberClause}`;
      return `SELECT ${select}${part.source.sums} FROM ${part.source.table} u ${index} WHERE ${where}${groupBy}`;
    };
    const addedUp = 'SUM(p.calls) AS calls, SUM(p.inputTokens) AS inputTokens, SUM(p.outputTokens) AS outputTokens, SUM(p.costMicros) AS costMicros';
    // Members' emails are looked up once per group, after grouping, not once per summed row.
    const label = query.groupBy === 'member' ? ', m.email AS label' : '';
    const join = query.groupBy === 'member' ? 'LEFT JOIN users m ON m.id = g.key' : '';
    const order = query.groupBy === 'day' ? 'g.key ASC' : 'g.costMicros DESC, g.calls DESC, g.key ASC';
    const perPart = parts.map((part) => {
      const key = groupKey(part.source, query.groupBy);
      return summed(part, `${key} AS key, `, ` GROUP BY ${key}`);
    });
    const groupRows = this.statements
      .prepare(
        `SELECT g.key, g.calls, g.inputTokens, g.outputTokens, g.costMicros${label}
         FROM (SELECT p.key AS key, ${addedUp} FROM (${perPart.join(' UNION ALL ')}) p GROUP BY p.key) g ${join}
         ORDER BY ${order}`,
      )
      .all(...params) as (TotalsRow & { key: string | null; label?: string | null })[];
    const groups: UsageGroup[] = groupRows.map((row) => ({
      key: row.key ?? '',
      ...(typeof row.label === 'string' ? { label: row.label } : {}),
      ...totalsOf(row),
    }));
    // Every summed row is in exactly one group: the totals are the groups added up (no second query).
    const totals: UsageTotals = { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
    for (const group of groups) {
      totals.calls += group.calls;
      totals.inputTokens += group.inputTokens;
      totals.outputTokens += group.outputTokens;
      totals.costMicros += group.costMicros;
    }

    // The newest calls: a LIMITed walk of an index of usage_events, backwards from `to`. For one
    // member, their own index: walking the organization's (the planner's pick) to find 50 of a
    // member's calls took 50 ms over 1,000,000 rows when the member had only a few; the order by
    // `at` then rowid (ties only) is still stopped by the LIMIT.
    const recentIndex = query.userId === undefined ? '' : 'INDEXED BY usage_events_user_cover';
    const recentRows = this.statements
      .prepare(
        `SELECT u.id, u.at, u.provider, u.model, u.source, u.secret_id AS secretId, u.task, u.input_tokens AS inputTokens,
                u.output_tokens AS outputTokens, u.cost_micros AS costMicros, u.latency_ms AS latencyMs, u.outcome, u.user_id AS userId
         FROM usage_events u ${recentIndex} WHERE u.org_id = ? AND u.at >= ? AND u.at < ?${memberClause} ORDER BY u.at DESC, u.rowid DESC LIMIT ${RECENT_LIMIT}`,
      )
      .all(orgId, from, to, ...member) as (Omit<UsageRow, 'secretId' | 'userId'> & { secretId: string | null; userId: string | null })[];
    const recent = recentRows.map((row) => {
      const { userId, ...rest } = row;
      return { ...rest, ...(userId === null ? {} : { userId }) } as UsageRow;
    });
    return { totals, groups, recent };
  }
}
