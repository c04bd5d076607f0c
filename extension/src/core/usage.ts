// This month's usage for the popup: by provider, by source and by day, plus recent calls,
// cached in IndexedDB so that the tab still shows the last known numbers offline.
import type { ByokDb } from '../db';
import type { ApiClient, UsageQuery } from './api-client';
import type { UsageReport } from './companion-types';
import { isRetryable } from './errors';
import type { UsageView } from './messages';
import { currentMonth, EMPTY_USAGE, usageViewFrom } from './usage-view';

export { currentMonth };

type Grouping = NonNullable<UsageQuery['groupBy']>;

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
        return cached?.report ?? EMPTY_USAGE;
      }
    };
    // The three groupings are independent queries: ask for them at once.
    const [byProvider, bySource, byDay] = await Promise.all([load('provider'), load('source'), load('day')]);
    return usageViewFrom(month, byProvider, bySource, byDay, fresh);
  }

  csv(): Promise<string> {
    const { from, to } = currentMonth();
    return this.api.usageCsv({ from, to });
  }
}
