// Settings: the companion URL (shown; a session stays with the companion that issued it, so
// switching needs a sign-out), auto-lock delay, account facts, links to history and the admin
// page, lock and sign out.
import { useState } from 'react';
import { browser } from 'wxt/browser';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';
import { PassphraseChange } from './passphrase-change';

export function SettingsTab({ status, onChange }: { status: StatusView; onChange: (status: StatusView) => void }) {
  const [minutes, setMinutes] = useState(String(status.autoLockMinutes));
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    onChange(await send('settings.set', { autoLockMinutes: Number(minutes) }));
    setSaved(true);
  });
  const signOut = useAction(async () => onChange(await send('vault.signOut')));
  const isAdmin = status.account?.role === 'owner' || status.account?.role === 'admin';

  return (
    <div className="stack">
      <form
        className="stack"
        aria-label="Settings"
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          void save.run();
        }}
      >
        <div className="field">
          <label htmlFor="settings-url">Companion URL</label>
          <input id="settings-url" type="url" value={status.companionUrl} readOnly />
          <p className="help">Sign out to use another companion: this session and its keys belong to this one.</p>
        </div>
        <div className="field">
          <label htmlFor="settings-lock">Lock after (minutes idle)</label>
          <input id="settings-lock" type="number" min={1} max={1440} value={minutes} onChange={(event) => setMinutes(event.target.value)} />
        </div>
        <ErrorNote error={save.error} />
        {saved && <p className="callout ok small" role="status">Saved.</p>}
        <button className="primary" type="submit" disabled={save.busy}>
          Save settings
        </button>
      </form>
      <section>
        <h3>Account</h3>
        <p className="small">
          {status.account?.email} · {status.account?.role} of {status.account?.orgName} ({status.account?.plan} plan)
        </p>
        <div className="row">
          <a className="button" href={browser.runtime.getURL('/sidepanel.html')} target="_blank" rel="noreferrer">
            Enrichment history
          </a>
          <a className="button" href={browser.runtime.getURL('/selftest.html')} target="_blank" rel="noreferrer">
            Crypto self-test
          </a>
          {isAdmin && (
            <button onClick={() => void browser.runtime.openOptionsPage()}>Organization admin</button>
          )}
        </div>
      </section>
      <PassphraseChange status={status} />
      <ErrorNote error={signOut.error} />
      <button className="danger" onClick={() => void signOut.run()}>
        Sign out of this browser
      </button>
    </div>
  );
}
