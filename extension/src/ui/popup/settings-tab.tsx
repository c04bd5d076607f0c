// Settings: companion URL (asks for host permission when it is not the default), auto-lock
// delay, account facts, links to history and the admin page, lock and sign out.
import { useState } from 'react';
import { browser } from 'wxt/browser';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import { DEFAULT_COMPANION_URL } from '../../core/settings';
import { requestCompanionPermission } from '../companion-permission';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';
import { PassphraseChange } from './passphrase-change';

export function SettingsTab({ status, onChange }: { status: StatusView; onChange: (status: StatusView) => void }) {
  const [url, setUrl] = useState(status.companionUrl);
  const [minutes, setMinutes] = useState(String(status.autoLockMinutes));
  const [saved, setSaved] = useState(false);
  const save = useAction(async (permission: Promise<boolean>) => {
    if (!(await permission)) throw new Error('permission');
    onChange(await send('settings.set', { companionUrl: url, autoLockMinutes: Number(minutes) }));
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
          // permissions.request needs this submit's gesture: start it before anything else.
          const permission = url !== DEFAULT_COMPANION_URL && url !== status.companionUrl ? requestCompanionPermission(url) : Promise.resolve(true);
          void save.run(permission);
        }}
      >
        <div className="field">
          <label htmlFor="settings-url">Companion URL</label>
          <input id="settings-url" type="url" value={url} onChange={(event) => setUrl(event.target.value)} />
          <p className="help">Default {DEFAULT_COMPANION_URL}.</p>
        </div>
        <div className="field">
          <label htmlFor="settings-lock">Lock after (minutes idle)</label>
          <input id="settings-lock" type="number" min={1} max={1440} value={minutes} onChange={(event) => setMinutes(event.target.value)} />
        </div>
        <ErrorNote error={save.error?.code === 'internal' ? { code: 'permission_denied', message: 'The browser did not grant access to that address.' } : save.error} />
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
