// Organization-wide usage for admins (GET /v1/admin/usage): the same totals, groups and recent
// calls as /v1/usage, over every member of the organization, with `groupBy=member` too and an
// optional `userId` filter. Reads the usage table the routing code writes (one row per call).
import { resolveUsageRange } from '@byok/shared/wire/usage';
import type { UsageGroup, UsageResponse, UsageRow, UsageTotals } from '@byok/shared/wire/usage';
import type { AdminUsageGroupBy } from '@byok/shared/wire/admin';
import type { Db } from '../../store/db';

export const USAGE_TABLE = 'usage_events';
const RECENT_LIMIT = 50;

const GROUP_KEY: Record<AdminUsageGroupBy, string> = {
  day: 'substr(u.at, 1, 10)',
  provider: 'u.provider',
  model: 'u.model',
  source: 'u.source',
  member: 'u.user_id',
};

interface TotalsRow {
  calls: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costMicros: number | null;
}

function totalsOf(row: TotalsRow | undefined): UsageTotals {
  return { calls: row?.calls ?? 0, inputTokens: row?.inputTokens ?? 0, outputTokens: row?.outputTokens ?? 0, costMicros: row?.costMicros ?? 0 };
}

const SUMS = 'COUNT(*) AS calls, SUM(u.input_tokens) AS inputTokens, SUM(u.output_tokens) AS outputTokens, SUM(u.cost_micros) AS costMicros';

export class AdminUsageService {
  constructor(
    private readonly db: Db,
    private readonly table: string = USAGE_TABLE,
  ) {}

  report(orgId: string, query: { from?: string | undefined; to?: string | undefined; groupBy: AdminUsageGroupBy; userId?: string | undefined }, now = new Date()): UsageResponse {
    if (!this.tableExists()) return { totals: totalsOf(undefined), groups: [], recent: [] };
    const range = resolveUsageRange(query, now);
    const where = ['u.org_id = ?', 'u.at >= ?', 'u.at < ?'];
    const params: string[] = [orgId, range.from.toISOString(), range.to.toISOString()];
    if (query.userId !== undefined) {
      where.push('u.user_id = ?');
      params.push(query.userId);
    }
    const clause = where.join(' AND ');
    const totals = totalsOf(this.db.prepare(`SELECT ${SUMS} FROM ${this.table} u WHERE ${clause}`).get(...params) as TotalsRow | undefined);
    const key = GROUP_KEY[query.groupBy];
    const label = query.groupBy === 'member' ? ', m.email AS label' : '';
    const join = query.groupBy === 'member' ? 'LEFT JOIN users m ON m.id = u.user_id' : '';
    const groupRows = this.db
      .prepare(`SELECT ${key} AS key${label}, ${SUMS} FROM ${this.table} u ${join} WHERE ${clause} GROUP BY ${key} ORDER BY ${query.groupBy === 'day' ? 'key ASC' : 'costMicros DESC, calls DESC, key ASC'}`)
      .all(...params) as (TotalsRow & { key: string | null; label?: string | null })[];
    const groups: UsageGroup[] = groupRows.map((row) => ({
      key: row.key ?? '',
      ...(typeof row.label === 'string' ? { label: row.label } : {}),
      ...totalsOf(row),
    }));
    const recentRows = this.db
      .prepare(
        `SELECT u.id, u.at, u.provider, u.model, u.source, u.secret_id AS secretId, u.task, u.input_tokens AS inputTokens,
                u.output_tokens AS outputTokens, u.cost_micros AS costMicros, u.latency_ms AS latencyMs, u.outcome, u.user_id AS userId
         FROM ${this.table} u WHERE ${clause} ORDER BY u.at DESC, u.rowid DESC LIMIT ${RECENT_LIMIT}`,
      )
      .all(...params) as (Omit<UsageRow, 'secretId' | 'userId'> & { secretId: string | null; userId: string | null })[];
    const recent = recentRows.map((row) => {
      const { userId, ...rest } = row;
      return { ...rest, ...(userId === null ? {} : { userId }) } as UsageRow;
    });
    return { totals, groups, recent };
  }

  private tableExists(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(this.table) !== undefined;
  }
}
