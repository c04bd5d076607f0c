// Wire schemas of usage reporting (API.md "Usage"): the query with its UTC range rules, one
// call row, totals and groups, and the CSV columns of `GET /v1/usage.csv`.
import { z } from 'zod';
import { ProviderId } from '../providers/types';
import { Count, IsoDateTime, Uuid } from './common';
import { RouteSource } from './enrich';

/** An ISO date (`2026-11-01`, midnight UTC) or a UTC date-time (`...T10:00:00Z`). */
export const UsageInstant = z.union([z.iso.date(), z.iso.datetime({ offset: false })]);

export const USAGE_GROUP_BY = ['day', 'provider', 'model', 'source'] as const;
export const UsageGroupBy = z.enum(USAGE_GROUP_BY);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

/**
 * `from` not after `to`. Equal bounds are an empty half-open range (`to` is exclusive), answered
 * with nothing rather than refused: a client asking "from midnight to now" at midnight is right.
 */
export function fromNotAfterTo(query: { from?: string | undefined; to?: string | undefined }): boolean {
  if (query.from === undefined || query.to === undefined) return true;
  return parseUsageInstant(query.from) <= parseUsageInstant(query.to);
}
export const USAGE_RANGE_MESSAGE = { message: 'from must not be after to', path: ['from'] };

/** `GET /v1/usage?from&to&groupBy`; `to` is exclusive; both default to the current UTC month. */
export const UsageQuery = z
  .object({
    from: UsageInstant.optional(),
    to: UsageInstant.optional(),
    groupBy: UsageGroupBy.default('day'),
  })
  .refine(fromNotAfterTo, USAGE_RANGE_MESSAGE);
export type UsageQuery = z.infer<typeof UsageQuery>;

/** `GET /v1/usage.csv?from&to`. */
export const UsageCsvQuery = z
  .object({ from: UsageInstant.optional(), to: UsageInstant.optional() })
  .refine(fromNotAfterTo, USAGE_RANGE_MESSAGE);
export type UsageCsvQuery = z.infer<typeof UsageCsvQuery>;

/** Milliseconds since the epoch of a validated UsageInstant (a bare date is midnight UTC). */
export function parseUsageInstant(value: string): number {
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
}

/** The half-open UTC range a usage query covers, defaults filled from `now`. */
export function resolveUsageRange(
  query: { from?: string | undefined; to?: string | undefined },
  now: Date = new Date(),
): { from: Date; to: Date } {
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const nextMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const from = query.from === undefined ? monthStart : parseUsageInstant(query.from);
  const to = query.to === undefined ? nextMonthStart : parseUsageInstant(query.to);
  // An open bound that lands on the wrong side of the other yields an empty range, not an error.
  return { from: new Date(from), to: new Date(Math.max(from, to)) };
}

export const UsageTask = z.enum(['summary', 'entities', 'enrich', 'verify']);
export type UsageTask = z.infer<typeof UsageTask>;

export const UsageOutcome = z.enum(['ok', 'unreachable', 'rate_limited', 'key_rejected', 'quota_exceeded', 'error']);
export type UsageOutcome = z.infer<typeof UsageOutcome>;

/** One provider call (or builtin run), whatever its outcome. */
export const UsageRow = z.object({
  /** The server's row id: an integer sequence or a UUID (clients treat it as opaque). */
  id: z.union([z.int().min(1), Uuid]),
  at: IsoDateTime,
  provider: ProviderId,
  model: z.string(),
  source: RouteSource,
  secretId: Uuid.nullable().optional(),
  task: UsageTask,
  inputTokens: Count,
  outputTokens: Count,
  costMicros: Count,
  latencyMs: Count,
  outcome: UsageOutcome,
  /** Admin listings only: the member who made the call. */
  userId: Uuid.optional(),
});
export type UsageRow = z.infer<typeof UsageRow>;

export const UsageTotals = z.object({
  calls: Count,
  inputTokens: Count,
  outputTokens: Count,
  costMicros: Count,
});
export type UsageTotals = z.infer<typeof UsageTotals>;

/**
 * One group of the requested `groupBy`: `key` is the UTC day (YYYY-MM-DD), provider id, model,
 * source or member id; `label` is a display name where one exists (a member's email).
 */
export const UsageGroup = UsageTotals.extend({ key: z.string(), label: z.string().optional() });
export type UsageGroup = z.infer<typeof UsageGroup>;

export const UsageResponse = z.object({
  totals: UsageTotals,
  groups: z.array(UsageGroup),
  /** The most recent calls in the range, newest first. */
  recent: z.array(UsageRow),
});
export type UsageResponse = z.infer<typeof UsageResponse>;

/** Column order of `GET /v1/usage.csv` (header row first). */
export const USAGE_CSV_COLUMNS = [
  'id',
  'at',
  'provider',
  'model',
  'source',
  'secretId',
  'task',
  'inputTokens',
  'outputTokens',
  'costMicros',
  'latencyMs',
  'outcome',
] as const;
