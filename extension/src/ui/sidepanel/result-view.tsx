// One enrichment as the side panel shows it: progress and cancel while it runs; then the
// summary, entities grouped by type with counts, the route with every attempt, tokens and cost;
// or the error in the user's words (a rejected key is named, with a way to rotate it).
import { browser } from 'wxt/browser';
import { send } from '../../core/client';
import type { HistoryEntry } from '../../db';
import { ErrorNote } from '../error-note';
import { formatCost, formatCount, formatDateTime, SOURCE_LABELS } from '../format';
import { providerName } from '../provider-icon';
import { useAction } from '../hooks';

const ENTITY_LABELS: Record<string, string> = {
  person: 'People',
  organization: 'Organizations',
  location: 'Places',
  date: 'Dates',
  product: 'Products',
  other: 'Other',
};

const OUTCOME_LABELS: Record<string, string> = {
  ok: 'answered',
  unreachable: 'unreachable',
  rate_limited: 'rate limited',
  key_rejected: 'key rejected',
  skipped: 'skipped (no grant)',
};

export function ResultView({ entry, keyLabels }: { entry: HistoryEntry; keyLabels?: Map<string, string> }) {
  const result = entry.result;
  const entities = result?.entities ?? [];
  const groups = new Map<string, typeof entities>();
  for (const entity of entities) groups.set(entity.type, [...(groups.get(entity.type) ?? []), entity]);
  const cancel = useAction(async () => send('enrich.cancel', { id: entry.id }));

  return (
    <article className="stack" aria-labelledby="result-title" data-testid="result" data-state={entry.state}>
      <header>
        <h2 id="result-title" style={{ marginTop: 0 }}>
          {entry.title}
        </h2>
        <p className="small muted">
          {entry.kind === 'page' ? 'Page' : entry.kind === 'selection' ? 'Selection' : 'Linked document'} · {formatDateTime(entry.createdAt)} ·{' '}
          {formatCount(entry.chars)} characters
          {entry.url ? (
            <>
              {' · '}
              <a href={entry.url} target="_blank" rel="noreferrer">
                source
              </a>
            </>
          ) : null}
        </p>
      </header>

      {entry.state === 'running' && (
        <div className="stack" role="status" aria-live="polite">
          <div className="row">
            <span className="spinner" aria-hidden="true" />
            <span>{entry.progress ? `${entry.progress.stage}: ${entry.progress.done} of ${entry.progress.total}` : 'Sending to the companion…'}</span>
          </div>
          <progress max={entry.progress?.total || 1} value={entry.progress?.done ?? 0} aria-label="Progress" />
          <button onClick={() => void cancel.run()} disabled={cancel.busy}>
            Cancel
          </button>
          <ErrorNote error={cancel.error} />
        </div>
      )}

      {entry.state === 'cancelled' && <div className="callout warn small">Cancelled. Nothing more is charged for this request.</div>}

      {entry.state === 'error' && entry.error && (
        <ErrorNote error={{ code: entry.error.code as 'internal', message: entry.error.message, secretId: entry.error.secretId }}>
          {entry.error.code === 'key_rejected' && entry.error.secretId && (
            <button
              className="primary"
              onClick={() => void browser.tabs.create({ url: browser.runtime.getURL(`/popup.html?rotate=${encodeURIComponent(entry.error!.secretId!)}`) })}
            >
              Rotate this key
            </button>
          )}
        </ErrorNote>
      )}

      {(entry.state === 'error' || entry.state === 'cancelled') && entry.retryable && (
        <TryAgain id={entry.id} />
      )}

      {result && (
        <>
          {result.route.source === 'builtin' && (
            <div className="callout info small">Built-in offline summary: no key, no network, free.</div>
          )}
          <section aria-labelledby="summary-title">
            <h3 id="summary-title">Summary</h3>
            <p className="summary" data-testid="summary">
              {result.summary ?? '—'}
            </p>
          </section>
          {entities.length > 0 && (
            <section aria-labelledby="entities-title">
              <h3 id="entities-title">Entities</h3>
              {[...groups.entries()].map(([type, list]) => (
                <div className="entity-group" key={type}>
                  <div className="small muted">
                    {ENTITY_LABELS[type] ?? type} ({list.length})
                  </div>
                  <div className="chips">
                    {list.map((entity) => (
                      <span className="chip" key={`${type}-${entity.text}`}>
                        {entity.text}
                        {entity.count > 1 ? ` ×${entity.count}` : ''}
                      </span>
                    ))}
                  </div>
                </div>
              ))}
            </section>
          )}
          <section aria-labelledby="route-title">
            <h3 id="route-title">Route and cost</h3>
            <p className="small" data-testid="route">
              Answered by <strong>{providerName(result.route.provider)}</strong> ({result.route.model}), paid by{' '}
              <strong>{SOURCE_LABELS[result.route.source] ?? result.route.source}</strong>
              {result.route.secretId && keyLabels?.get(result.route.secretId) ? ` "${keyLabels.get(result.route.secretId)}"` : ''}.
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Key</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">ms</th>
                </tr>
              </thead>
              <tbody>
                {result.route.attempts.map((attempt, index) => (
                  <tr key={index}>
                    <td>{index + 1}</td>
                    <td>{providerName(attempt.provider)}</td>
                    <td>{SOURCE_LABELS[attempt.source] ?? attempt.source}</td>
                    <td>{OUTCOME_LABELS[attempt.outcome] ?? attempt.outcome}</td>
                    <td className="num">{attempt.ms}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="stats" style={{ marginTop: 8 }}>
              <div className="stat">
                <span className="small muted">Input tokens</span>
                <strong>{formatCount(result.usage.inputTokens)}</strong>
              </div>
              <div className="stat">
                <span className="small muted">Output tokens</span>
                <strong>{formatCount(result.usage.outputTokens)}</strong>
              </div>
              <div className="stat">
                <span className="small muted">Cost</span>
                <strong data-testid="cost">{formatCost(result.usage.costMicros)}</strong>
              </div>
            </div>
          </section>
        </>
      )}
    </article>
  );
}

/** Sends a failed job again (same history entry); the companion must be back for it to work. */
function TryAgain({ id }: { id: string }) {
  const retry = useAction(() => send('enrich.retry', { id }));
  return (
    <div className="stack">
      <button className="primary" disabled={retry.busy} onClick={() => void retry.run()}>
        Try again
      </button>
      <ErrorNote error={retry.error} />
    </div>
  );
}
