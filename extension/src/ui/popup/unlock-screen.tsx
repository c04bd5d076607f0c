// The lock screen: the account's email and a passphrase field; sign out to use another account.
import { useEffect, useRef, useState } from 'react';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';

export function UnlockScreen({ status, onDone }: { status: StatusView; onDone: (status: StatusView) => void }) {
  const [passphrase, setPassphrase] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const unlock = useAction(async () => {
    const next = await send('vault.unlock', { passphrase });
    setPassphrase('');
    onDone(next);
  });
  const signOut = useAction(async () => onDone(await send('vault.signOut')));

  return (
    <main className="stack">
      <div className="callout info">
        <strong>Locked</strong>
        <p className="small">
          {status.account?.email} · {status.account?.orgName}. Enter your passphrase to use your keys.
        </p>
      </div>
      {status.lockNotice && (
        <div className="callout warn small" role="status">
          {status.lockNotice}
        </div>
      )}
      <form
        className="stack"
        aria-label="Unlock"
        onSubmit={(event) => {
          event.preventDefault();
          if (passphrase) void unlock.run();
        }}
      >
        <div className="field">
          <label htmlFor="unlock-passphrase">Passphrase</label>
          <input
            ref={input}
            id="unlock-passphrase"
            type="password"
            autoComplete="current-password"
            value={passphrase}
            onChange={(event) => setPassphrase(event.target.value)}
          />
        </div>
        <ErrorNote error={unlock.error} companionUrl={status.companionUrl} />
        <button className="primary" type="submit" disabled={!passphrase || unlock.busy}>
          {unlock.busy ? <span className="spinner" aria-hidden="true" /> : null}
          {unlock.busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
      {status.outboxWaiting > 0 && <p className="small muted">{status.outboxWaiting} key(s) wait in the outbox.</p>}
      <button className="link" onClick={() => void signOut.run()}>
        Sign out of this account
      </button>
    </main>
  );
}
