// Pure helpers behind the usage view: the current UTC month's bounds and the popup's view built
// from the three cached reports. No Dexie and no network, so the popup can use them directly.
import type { UsageReport } from './companion-types';
import type { UsageView } from './messages';

export function currentMonth(now = new Date()): { month: string; from: string; to: string } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { month: from.toISOString().slice(0, 7), from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

export const EMPTY_USAGE: UsageReport = { totals: { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 }, groups: [], recent: [] };

export function usageViewFrom(
  month: string,
  byProvider: UsageReport = EMPTY_USAGE,
  bySource: UsageReport = EMPTY_USAGE,
  byDay: UsageReport = EMPTY_USAGE,
  fresh: boolean,
): UsageView {
  return {
    month,
    totals: byProvider.totals,
    byProvider: byProvider.groups,
    bySource: bySource.groups,
    byDay: byDay.groups,
    recent: byProvider.recent.length > 0 ? byProvider.recent : byDay.recent,
    fresh,
  };
}
