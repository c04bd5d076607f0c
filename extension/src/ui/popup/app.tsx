// The toolbar popup: the lock screens when there is no unlocked vault, else the tabs (keys,
// add, usage, settings). Opening the popup also retries the outbox.
import { lazy, Suspense, useEffect, useState } from 'react';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import { ErrorNote } from '../error-note';
import { useBackgroundEvents, useLoad } from '../hooks';
import { KeysTab } from './keys-tab';
import { UnlockScreen } from './unlock-screen';
import type { PopupSnapshot } from './snapshot';
import type { CachedKey } from '../../db';

// Only the Keys tab and the lock screen are needed for the first paint; the rest load on demand (and are fetched in
// the background right after the first paint, so switching tabs does not wait for them).
const loadAccountScreens = () => import('./account-screens');
const loadAddKeyForm = () => import('./add-key-form');
const loadUsageTab = () => import('./usage-tab');
const loadSettingsTab = () => import('./settings-tab');
const AccountScreens = lazy(() => loadAccountScreens().then((module) => ({ default: module.AccountScreens })));
const AddKeyForm = lazy(() => loadAddKeyForm().then((module) => ({ default: module.AddKeyForm })));
const UsageTab = lazy(() => loadUsageTab().then((module) => ({ default: module.UsageTab })));
const SettingsTab = lazy(() => loadSettingsTab().then((module) => ({ default: module.SettingsTab })));

function prefetchTabs(): void {
  for (const load of [loadAddKeyForm, loadUsageTab, loadSettingsTab]) void load().catch(() => undefined);
}

type TabId = 'keys' | 'add' | 'usage' | 'settings';
const TABS: { id: TabId; label: string }[] = [
  { id: 'keys', label: 'Keys' },
  { id: 'add', label: 'Add key' },
  { id: 'usage', label: 'Usage' },
  { id: 'settings', label: 'Settings' },
];

export function PopupApp({ initial = null }: { initial?: PopupSnapshot | null }) {
  const loaded = useLoad(() => send('status'));
  // Until the background answers, the cached picture decides what to show.
  const status = { ...loaded, data: loaded.data ?? (loaded.error ? undefined : initial?.status) };
  const [tab, setTab] = useState<TabId>('keys');
  // The cached key list is for the first paint only: once the user leaves the Keys tab, coming
  // back asks the background for the current cache.
  const [firstKeys, setFirstKeys] = useState(initial);
  useEffect(() => {
    if (tab !== 'keys') setFirstKeys(null);
  }, [tab]);
  const [rotating, setRotating] = useState<CachedKey | null>(null);
  useBackgroundEvents(['vault'], () => void status.reload());

  useEffect(() => {
    // For the benchmark's breakdown (test/bench/extension.ts): when the first render committed.
    performance.mark('byok:first-render');
    // Every popup open is a chance to upload what waits.
    void send('outbox.drain').catch(() => undefined);
    const idle = window.requestIdleCallback ?? ((callback: () => void) => window.setTimeout(callback, 50));
    idle(prefetchTabs);
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
        {status.error ? <ErrorNote error={status.error} /> : <Loading />}
      </Shell>
    );
  }
  const view = status.data;
  if (view.state === 'no-account') {
    return (
      <Shell>
        <Suspense fallback={<Loading />}>
          <AccountScreens status={view} onDone={update} />
        </Suspense>
      </Shell>
    );
  }
  if (view.state === 'locked') {
    return (
      <Shell status={view}>
        <UnlockScreen status={view} onDone={update} />
      </Shell>
    );
  }

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
        <Suspense fallback={<Loading />}>
          {tab === 'keys' && (
            <KeysTab
              status={view}
              initial={firstKeys}
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
          {tab === 'usage' && <UsageTab status={view} initial={initial?.usage ?? null} />}
          {tab === 'settings' && <SettingsTab status={view} onChange={update} />}
        </Suspense>
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

function Loading() {
  return (
    <p className="row muted">
      <span className="spinner" /> Loading…
    </p>
  );
}
