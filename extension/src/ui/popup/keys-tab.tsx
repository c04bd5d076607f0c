// The Keys tab: personal keys in routing order (drag, or move up/down with the keyboard, where
// the plan allows ordering), organization keys apart and read-only, and the outbox.
import { useEffect, useState } from 'react';
import type { KeyList } from '../../core/keys';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import type { CachedKey } from '../../db';
import { keyHintText } from '../format';
import { ErrorNote } from '../error-note';
import type { PopupSnapshot } from './snapshot';
import { useAction, useBackgroundEvents, useLoad } from '../hooks';
import { KeyRow } from './key-row';
import { OutboxList } from './outbox-list';
import { ProviderIcon, providerName } from '../provider-icon';

export function KeysTab({
  status,
  initial = null,
  onAdd,
  onRotate,
}: {
  status: StatusView;
  /** The popup's cached picture (IndexedDB, read before the first render). */
  initial?: PopupSnapshot | null;
  onAdd: () => void;
  onRotate: (key: CachedKey) => void;
}) {
  const list = useLoad(() => send('keys.list'));
  // The cache paints the list at once; keys.list (from the companion) replaces it when it answers.
  const [cached, setCached] = useState<KeyList | null>(initial?.keys ?? null);
  useEffect(() => {
    if (!initial) void send('keys.cached').then(setCached, () => undefined);
  }, []);
  const me = useLoad(() => send('me').catch(() => null));
  const policy = me.data?.policy ?? initial?.me?.policy;
  const [dragging, setDragging] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');
  useBackgroundEvents(['keys', 'outbox'], () => void list.reload());

  const reorder = useAction(async (ids: string[]) => {
    await send('keys.reorder', { ids });
    await list.reload();
  });

  const shown = list.data ?? cached;
  const keys = shown?.keys ?? [];
  const personal = keys.filter((key) => key.scope === 'user');
  const org = keys.filter((key) => key.scope === 'org');
  const canOrder = policy?.providerOrder === true && personal.length > 1;

  const move = async (id: string, to: number) => {
    const ids = personal.map((key) => key.id);
    const from = ids.indexOf(id);
    if (from < 0 || to < 0 || to >= ids.length || from === to) return;
    ids.splice(from, 1);
    ids.splice(to, 0, id);
    if (await reorder.run(ids)) {
      const key = personal.find((entry) => entry.id === id);
      setAnnounce(`${key?.label ?? 'Key'} moved to position ${to + 1} of ${ids.length}.`);
    }
  };

  return (
    <div className="stack">
      {list.data && !list.data.fresh && (
        <div className="callout warn small" role="status">
          The companion is not answering; this is the last known list.
        </div>
      )}
      <ErrorNote error={list.error ?? reorder.error} companionUrl={status.companionUrl} />
      <div className="spread">
        <h2 style={{ margin: 0 }}>Your keys</h2>
        <button className="primary" onClick={onAdd}>
          + Add key
        </button>
      </div>
      {list.loading && !shown && <p className="row muted"><span className="spinner" /> Loading keys…</p>}
      {list.data && personal.length === 0 && (
        <div className="callout info">
          <p className="small">
            No keys yet. Without one, enrichment uses your organization's keys or the built-in offline summarizer. Add a key to pay your
            provider directly.
          </p>
        </div>
      )}
      {canOrder && <p className="small muted">Calls try your keys from top to bottom. Drag a key, or use the arrows, to change the order.</p>}
      <ul className="plain" aria-label="Your keys in routing order" data-testid="key-list">
        {personal.map((key, index) => (
          <KeyRow
            key={key.id}
            secret={key}
            index={index}
            count={personal.length}
            policy={policy}
            canOrder={canOrder}
            dragging={dragging === key.id}
            dropTarget={over === key.id && dragging !== key.id}
            onMove={(to) => void move(key.id, to)}
            onRotate={() => onRotate(key)}
            onChanged={() => void list.reload()}
            dragHandlers={{
              onDragStart: () => setDragging(key.id),
              onDragEnd: () => {
                setDragging(null);
                setOver(null);
              },
              onDragOver: (event) => {
                if (!dragging) return;
                event.preventDefault();
                setOver(key.id);
              },
              onDrop: (event) => {
                event.preventDefault();
                if (dragging) void move(dragging, index);
                setDragging(null);
                setOver(null);
              },
            }}
          />
        ))}
      </ul>
      <p className="sr-only" aria-live="polite">
        {announce}
      </p>
      {org.length > 0 && (
        <section aria-labelledby="org-keys">
          <h3 id="org-keys">Organization keys</h3>
          <p className="small muted">
            Managed by your admins and stored by the companion (server-custodied, not end-to-end encrypted). You can use them but not see or
            change them.
          </p>
          <ul className="plain">
            {org.map((key) => (
              <li key={key.id} className="card key">
                <ProviderIcon provider={key.provider} />
                <div className="grow">
                  <strong>{key.label}</strong>
                  <div className="small muted">
                    {providerName(key.provider)} · <span className="mono">{keyHintText(key)}</span>
                  </div>
                </div>
                <span className="badge unverified">read-only</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <OutboxList items={shown?.outbox ?? []} onChanged={() => void list.reload()} />
    </div>
  );
}
