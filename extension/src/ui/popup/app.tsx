// The toolbar popup: the lock screens when there is no unlocked vault, else the tabs (keys,
// add, usage, settings). Opening the popup also retries the outbox.
import { useEffect, useState } from 'react';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import { ErrorNote } from '../error-note';
import { useBackgroundEvents, useLoad } from '../hooks';
import { AccountScreens } from './account-screens';
import { UnlockScreen } from './unlock-screen';
import { KeysTab } from './keys-tab';
import { AddKeyForm } from './add-key-form';
import { UsageTab } from './usage-tab';
import { SettingsTab } from './settings-tab';
import type { CachedKey } from '../../db';

type TabId = 'keys' | 'add' | 'usage' | 'settings';
const TABS: { id: TabId; label: string }[] = [
  { id: 'keys', label: 'Keys' },
  { id: 'add', label: 'Add key' },
  { id: 'usage', label: 'Usage' },
  { id: 'settings', label: 'Settings' },
];

export function PopupApp() {
  const status = useLoad(() => send('status'));
  const [tab, setTab] = useState<TabId>('keys');
  const [rotating, setRotating] = useState<CachedKey | null>(null);
  useBackgroundEvents(['vault'], () => void status.reload());

  useEffect(() => {
    // Every popup open is a chance to upload what waits.
    void send('outbox.drain').catch(() => undefined);
  }, []);

  const unlocked = status.data?.state === 'unlocked';
  useEffect(() => {
    // The side panel's "Rotate this key" opens popup.html?rotate=<id> in a tab.
    const id = new URLSearchParams(window.location.search).get('rotate');
    if (!unlocked || !id) return;
    void send('keys.list').then((list) => {
      const key = list.keys.find((entry) => entry.id === id && entry.scope === 'user');
      if (key) {
        setRotating(key);
        setTab('add');
      }
    });
  }, [unlocked]);

  const update = (next: StatusView) => {
    void status.reload();
    if (next.state === 'unlocked') setTab('keys');
  };

  if (!status.data) {
    return (
      <Shell>
        {status.error ? <ErrorNote error={status.error} /> : <p className="row muted"><span className="spinner" /> Loading…</p>}
      </Shell>
    );
  }
  const view = status.data;
  if (view.state === 'no-account') return <Shell><AccountScreens status={view} onDone={update} /></Shell>;
  if (view.state === 'locked') return <Shell status={view}><UnlockScreen status={view} onDone={update} /></Shell>;

  const selectTab = (id: TabId) => {
    setTab(id);
    if (id !== 'add') setRotating(null);
  };
  const onTabKey = (event: React.KeyboardEvent) => {
    const index = TABS.findIndex((entry) => entry.id === tab);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length]!;
    selectTab(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  };

  return (
    <Shell status={view}>
      <nav className="tabs" role="tablist" aria-label="Sections" onKeyDown={onTabKey}>
        {TABS.map((entry) => (
          <button
            key={entry.id}
            id={`tab-${entry.id}`}
            role="tab"
            aria-selected={tab === entry.id}
            aria-controls={`panel-${entry.id}`}
            tabIndex={tab === entry.id ? 0 : -1}
            onClick={() => selectTab(entry.id)}
          >
            {entry.id === 'add' && rotating ? 'Rotate key' : entry.label}
          </button>
        ))}
      </nav>
      <main id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'keys' && (
          <KeysTab
            status={view}
            onAdd={() => selectTab('add')}
            onRotate={(key) => {
              setRotating(key);
              setTab('add');
            }}
          />
        )}
        {tab === 'add' && (
          <AddKeyForm
            key={rotating?.id ?? 'new'}
            rotating={rotating}
            status={view}
            onDone={() => {
              setRotating(null);
              setTab('keys');
            }}
          />
        )}
        {tab === 'usage' && <UsageTab status={view} />}
        {tab === 'settings' && <SettingsTab status={view} onChange={update} />}
      </main>
    </Shell>
  );
}

function Shell({ status, children }: { status?: StatusView; children: React.ReactNode }) {
  const lock = async () => {
    await send('vault.lock');
    window.location.reload();
  };
  return (
    <>
      <header className="bar">
        <div className="brand">
          <span className="logo" aria-hidden="true">BY</span>
          <h1>BYOK Companion</h1>
        </div>
        {status?.state === 'unlocked' && (
          <button onClick={() => void lock()} aria-label="Lock the vault now">
            <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" fill="currentColor">
              <path d="M4 7V5a4 4 0 1 1 8 0v2h1a1 1 0 0 1 1 1v7a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h1zm2 0h4V5a2 2 0 1 0-4 0v2z" />
            </svg>
            Lock
          </button>
        )}
      </header>
      {children}
    </>
  );
}
