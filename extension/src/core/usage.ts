// This month's usage for the popup: by provider, by source and by day, plus recent calls,
// cached in IndexedDB so that the tab still shows the last known numbers offline.
import type { ByokDb } from '../db';
import type { ApiClient, UsageQuery } from './api-client';
import type { UsageReport } from './companion-types';
import { isRetryable } from './errors';
import type { UsageView } from './messages';

type Grouping = NonNullable<UsageQuery['groupBy']>;

export function currentMonth(now = new Date()): { month: string; from: string; to: string } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { month: from.toISOString().slice(0, 7), from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

export class UsageService {
  constructor(
    private readonly db: ByokDb,
    private readonly api: ApiClient,
  ) {}

  async view(): Promise<UsageView> {
    const { month, from, to } = currentMonth();
    let fresh = true;
    const load = async (groupBy: Grouping): Promise<UsageReport> => {
      const id = `${month}|${groupBy}`;
      try {
        const report = await this.api.usage({ from, to, groupBy });
        await this.db.usage.put({ id, fetchedAt: new Date().toISOString(), report });
        return report;
      } catch (error) {
        if (!isRetryable(error)) throw error;
        fresh = false;
        const cached = await this.db.usage.get(id);
        return cached?.report ?? { totals: { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 }, groups: [], recent: [] };
      }
    };
    const byProvider = await load('provider');
    const bySource = await load('source');
    const byDay = await load('day');
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

  csv(): Promise<string> {
    const { from, to } = currentMonth();
    return this.api.usageCsv({ from, to });
  }
}
