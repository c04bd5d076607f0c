// First run: create an account (with the warnings that matter) or sign in to an existing one,
// against the companion URL shown here.
import { useState } from 'react';
import { send } from '../../core/client';
import { DEFAULT_COMPANION_URL } from '../../core/settings';
import type { StatusView } from '../../core/messages';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';
import { requestCompanionPermission } from '../companion-permission';
import { MIN_PASSPHRASE_LENGTH } from '../../core/passphrase-rules';

const MIN_PASSPHRASE = MIN_PASSPHRASE_LENGTH;

export function AccountScreens({ status, onDone }: { status: StatusView; onDone: (status: StatusView) => void }) {
  const [mode, setMode] = useState<'create' | 'signin'>('create');
  const [email, setEmail] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [invite, setInvite] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [companionUrl, setCompanionUrl] = useState(status.companionUrl);
  const [denied, setDenied] = useState(false);

  const submit = useAction(async () => {
    if (companionUrl !== status.companionUrl) await send('settings.set', { companionUrl });
    const next =
      mode === 'create'
        ? await send('vault.create', { email, passphrase, ...(invite.trim() ? { inviteCode: invite.trim() } : {}) })
        : await send('vault.signIn', { email, passphrase });
    setPassphrase('');
    setConfirm('');
    onDone(next);
  });

  const problem =
    !email.includes('@')
      ? 'Enter your email.'
      : passphrase.length < (mode === 'create' ? MIN_PASSPHRASE : 1)
        ? mode === 'create'
          ? `Choose a passphrase of at least ${MIN_PASSPHRASE} characters.`
          : 'Enter your passphrase.'
        : mode === 'create' && passphrase !== confirm
          ? 'The two passphrases differ.'
          : mode === 'create' && !understood
            ? 'Confirm that you understand the passphrase cannot be recovered.'
            : null;

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    if (problem || submit.busy) return;
    setDenied(false);
    // The permission prompt needs this click's gesture, so it comes before any await.
    const permission = companionUrl !== DEFAULT_COMPANION_URL ? requestCompanionPermission(companionUrl) : Promise.resolve(true);
    void permission.then((granted) => {
      // Without access the companion cannot be reached: say so instead of trying anyway.
      if (granted) void submit.run();
      else setDenied(true);
    });
  };

  return (
    <main className="stack">
      <div className="row" role="group" aria-label="Account">
        <button className={mode === 'create' ? 'primary' : ''} aria-pressed={mode === 'create'} onClick={() => setMode('create')} type="button">
          Create account
        </button>
        <button className={mode === 'signin' ? 'primary' : ''} aria-pressed={mode === 'signin'} onClick={() => setMode('signin')} type="button">
          Sign in
        </button>
      </div>
      {mode === 'create' && (
        <div className="callout warn">
          <strong>Before you start</strong>
          <p className="small">
            Your passphrase encrypts your keys on this device. <strong>It cannot be recovered</strong>: nobody, not even the companion's
            operator, can reset it. Keys are <strong>write-only</strong>: once saved you see only a masked hint, so keep a copy in your own
            secret manager.
          </p>
        </div>
      )}
      <form onSubmit={onSubmit} className="stack" aria-label={mode === 'create' ? 'Create account' : 'Sign in'}>
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" value={email} onChange={(event) => setEmail(event.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="passphrase">Passphrase</label>
          <input
            id="passphrase"
            type="password"
            autoComplete={mode === 'create' ? 'new-password' : 'current-password'}
            value={passphrase}
            onChange={(event) => setPassphrase(event.target.value)}
            aria-describedby="passphrase-help"
            required
          />
          <p id="passphrase-help" className="help">
            {mode === 'create' ? 'Several words you will remember are stronger than a short password.' : 'The passphrase you chose at sign-up.'}
          </p>
        </div>
        {mode === 'create' && (
          <>
            <div className="field">
              <label htmlFor="confirm">Repeat passphrase</label>
              <input id="confirm" type="password" autoComplete="new-password" value={confirm} onChange={(event) => setConfirm(event.target.value)} required />
            </div>
            <div className="field">
              <label htmlFor="invite">Invite code (if your organization gave you one)</label>
              <input id="invite" value={invite} onChange={(event) => setInvite(event.target.value)} autoComplete="off" />
            </div>
            <div className="row">
              <input id="understood" type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} />
              <label htmlFor="understood" style={{ margin: 0, fontWeight: 400 }}>
                I understand the passphrase cannot be recovered and keys cannot be read back.
              </label>
            </div>
          </>
        )}
        <details>
          <summary className="small muted">Companion address</summary>
          <div className="field">
            <label htmlFor="companion-url">Companion URL</label>
            <input id="companion-url" type="url" value={companionUrl} onChange={(event) => setCompanionUrl(event.target.value)} />
            <p className="help">Default {DEFAULT_COMPANION_URL}. Another address asks for permission to reach it.</p>
          </div>
        </details>
        <ErrorNote
          error={denied ? { code: 'permission_denied', message: 'The browser did not grant access to that address.' } : submit.error}
          companionUrl={companionUrl}
        />
        <button className="primary" type="submit" disabled={problem !== null || submit.busy} aria-describedby="submit-reason">
          {submit.busy ? <span className="spinner" aria-hidden="true" /> : null}
          {submit.busy ? 'Deriving keys…' : mode === 'create' ? 'Create account' : 'Sign in'}
        </button>
        {problem && (
          <p id="submit-reason" className="help" aria-live="polite">
            {problem}
          </p>
        )}
      </form>
    </main>
  );
}
