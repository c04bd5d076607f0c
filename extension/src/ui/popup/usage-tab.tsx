// The Usage tab: this month's calls, tokens and cost, by provider and by source, a daily chart,
// recent calls with the key that paid, and a CSV export.
import { useState } from 'react';
import { send } from '../../core/client';
import type { StatusView, UsageView } from '../../core/messages';
import type { UsageGroup } from '../../core/companion-types';
import { DailyChart } from '../bar-chart';
import { ErrorNote } from '../error-note';
import { formatCost, formatCount, formatDateTime, SOURCE_LABELS } from '../format';
import { useAction, useLoad } from '../hooks';
import { providerName } from '../provider-icon';

function GroupTable({ caption, groups, name }: { caption: string; groups: UsageGroup[]; name: (key: string) => string }) {
  if (groups.length === 0) return null;
  return (
    <table>
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{caption}</th>
          <th scope="col" className="num">Calls</th>
          <th scope="col" className="num">Tokens</th>
          <th scope="col" className="num">Cost</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((group) => (
          <tr key={group.key}>
            <td>{name(group.key)}</td>
            <td className="num">{formatCount(group.calls)}</td>
            <td className="num">{formatCount(group.inputTokens + group.outputTokens)}</td>
            <td className="num">{formatCost(group.costMicros)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function UsageTab({ status, initial = null }: { status: StatusView; initial?: UsageView | null }) {
  const usage = useLoad(() => send('usage.get'));
  const keys = useLoad(() => send('keys.list'));
  const [metric, setMetric] = useState<'calls' | 'costMicros'>('costMicros');
  const exportCsv = useAction(async () => {
    const csv = await send('usage.csv');
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `byok-usage-${usage.data?.month ?? 'month'}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  const labels = new Map((keys.data?.keys ?? []).map((key) => [key.id, key.label]));
  // The last known numbers (IndexedDB) show at once; the companion's answer replaces them.
  const data = usage.data ?? initial ?? undefined;
  const state = usage.data ? (usage.data.fresh ? 'fresh' : 'offline') : data ? 'cached' : 'loading';

  return (
    <div className="stack" data-testid="usage" data-state={state}>
      <ErrorNote error={usage.error ?? exportCsv.error} companionUrl={status.companionUrl} />
      {usage.loading && !data && <p className="row muted"><span className="spinner" /> Loading usage…</p>}
      {data && (
        <>
          {state === 'offline' && <div className="callout warn small">The companion is not answering; these are the last known numbers.</div>}
          <div className="spread">
            <h2 style={{ margin: 0 }}>This month ({data.month})</h2>
            <button onClick={() => void exportCsv.run()} disabled={exportCsv.busy}>
              ⬇ CSV
            </button>
          </div>
          <div className="stats">
            <div className="stat">
              <span className="small muted">Calls</span>
              <strong data-testid="usage-calls">{formatCount(data.totals.calls)}</strong>
            </div>
            <div className="stat">
              <span className="small muted">Tokens</span>
              <strong>{formatCount(data.totals.inputTokens + data.totals.outputTokens)}</strong>
            </div>
            <div className="stat">
              <span className="small muted">Cost</span>
              <strong data-testid="usage-cost">{formatCost(data.totals.costMicros)}</strong>
            </div>
          </div>
          <div className="spread">
            <h3>Daily</h3>
            <div className="row" role="group" aria-label="Chart shows">
              <button className="link" aria-pressed={metric === 'costMicros'} onClick={() => setMetric('costMicros')}>
                cost
              </button>
              <button className="link" aria-pressed={metric === 'calls'} onClick={() => setMetric('calls')}>
                calls
              </button>
            </div>
          </div>
          <DailyChart month={data.month} days={data.byDay} metric={metric} />
          <h3>By provider</h3>
          <GroupTable caption="Provider" groups={data.byProvider} name={providerName} />
          <h3>By source</h3>
          <GroupTable caption="Source" groups={data.bySource} name={(key) => SOURCE_LABELS[key] ?? key} />
          <h3>Recent calls</h3>
          {data.recent.length === 0 ? (
            <p className="small muted">No calls yet this month. Right-click a page and choose "Enrich this page".</p>
          ) : (
            <table data-testid="recent-calls">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Model</th>
                  <th scope="col">Paid by</th>
                  <th scope="col" className="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {data.recent.slice(0, 15).map((row) => (
                  <tr key={row.id}>
                    <td>{formatDateTime(row.at)}</td>
                    <td>
                      {providerName(row.provider)} <span className="muted">{row.model}</span>
                      {row.outcome !== 'ok' ? <span className="badge invalid"> {row.outcome}</span> : null}
                    </td>
                    <td>{row.secretId ? (labels.get(row.secretId) ?? SOURCE_LABELS[row.source]) : (SOURCE_LABELS[row.source] ?? row.source)}</td>
                    <td className="num">{formatCost(row.costMicros)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
