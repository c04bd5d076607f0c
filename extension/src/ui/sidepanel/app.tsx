// The side panel (Chromium) / sidebar (Firefox): the latest enrichment, live while it streams,
// and the history of past results, reopenable. Also opens in a tab as sidepanel.html.
import { useEffect, useState } from 'react';
import { send } from '../../core/client';
import { ErrorNote } from '../error-note';
import { formatDateTime } from '../format';
import { useAction, useBackgroundEvents, useLoad } from '../hooks';
import { ResultView } from './result-view';

export function SidePanelApp() {
  const history = useLoad(() => send('history.list'));
  const [selected, setSelected] = useState<string | null>(null);
  const [text, setText] = useState('');
  const keys = useLoad(() => send('keys.list').catch(() => null));
  const keyLabels = new Map((keys.data?.keys ?? []).map((key) => [key.id, key.label]));
  useBackgroundEvents(['history'], (event) => {
    // A new job takes the panel; updates of the shown one refresh it.
    if (event.id && !history.data?.some((entry) => entry.id === event.id)) setSelected(event.id);
    void history.reload();
  });
  const entries = history.data ?? [];
  const current = entries.find((entry) => entry.id === selected) ?? entries[0];
  useEffect(() => {
    // While something runs, poll too: progress events can be missed while the panel opens.
    if (!entries.some((entry) => entry.state === 'running')) return;
    const timer = setInterval(() => void history.reload(), 1000);
    return () => clearInterval(timer);
  }, [entries, history]);

  const enrichText = useAction(async () => {
    const { id } = await send('enrich.text', { kind: 'selection', text, title: text.slice(0, 60) });
    setSelected(id);
    setText('');
    await history.reload();
  });
  const remove = useAction(async (id: string) => {
    await send('history.remove', { id });
    if (selected === id) setSelected(null);
    await history.reload();
  });

  return (
    <>
      <header className="bar">
        <div className="brand">
          <span className="logo" aria-hidden="true">BY</span>
          <h1>Enrichment</h1>
        </div>
      </header>
      <main className="stack">
        <ErrorNote error={history.error ?? enrichText.error} />
        {current ? (
          <ResultView entry={current} keyLabels={keyLabels} />
        ) : (
          <div className="callout info">
            <p className="small">
              Right-click a page, a selection or a link and choose <strong>Enrich…</strong>. The summary, entities, route and cost appear here.
            </p>
          </div>
        )}
        <details>
          <summary>Enrich pasted text</summary>
          <form
            className="stack"
            onSubmit={(event) => {
              event.preventDefault();
              if (text.trim()) void enrichText.run();
            }}
          >
            <label htmlFor="paste">Text</label>
            <textarea id="paste" rows={4} value={text} onChange={(event) => setText(event.target.value)} />
            <button className="primary" type="submit" disabled={!text.trim() || enrichText.busy}>
              Enrich
            </button>
          </form>
        </details>
        <section aria-labelledby="history-title">
          <h3 id="history-title">History</h3>
          {entries.length === 0 && <p className="small muted">Nothing yet.</p>}
          <ul className="plain" data-testid="history">
            {entries.map((entry) => (
              <li key={entry.id} className="spread" style={{ padding: '4px 0', borderBottom: '1px solid var(--border)' }}>
                <button className="link grow" style={{ textAlign: 'left', justifyContent: 'flex-start' }} aria-current={entry.id === current?.id} onClick={() => setSelected(entry.id)}>
                  <span className="grow" style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                    {entry.title}
                  </span>
                </button>
                <span className="small muted">{formatDateTime(entry.createdAt)}</span>
                <span className={`badge ${entry.state === 'done' ? 'valid' : entry.state === 'error' ? 'invalid' : 'unverified'}`}>{entry.state}</span>
                <button className="icon" aria-label={`Delete "${entry.title}" from history`} onClick={() => void remove.run(entry.id)}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        </section>
      </main>
    </>
  );
}
