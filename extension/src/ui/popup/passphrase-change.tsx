// Settings > Change passphrase: the current passphrase, the new one twice with a strength hint,
// and the warning that it cannot be recovered. The background re-wraps every key and swaps the
// KEK; the fields are cleared from state as soon as the change is sent.
import { useState } from 'react';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import { MIN_PASSPHRASE_LENGTH } from '../../core/passphrase-rules';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';
import { passphraseStrength } from '../passphrase-strength';

export function PassphraseChange({ status }: { status: StatusView }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const change = useAction(async () => {
    const payload = { current, next };
    setCurrent('');
    setNext('');
    setConfirm('');
    const result = await send('vault.changePassphrase', payload);
    setUnderstood(false);
    const queued = result.outbox > 0 ? ` and ${result.outbox} waiting in the outbox` : '';
    setDone(`Passphrase changed. ${result.rewrapped} key(s) re-wrapped${queued}. Use the new passphrase from now on.`);
  });
  const strength = next ? passphraseStrength(next) : null;
  const problem = !current
    ? 'Enter your current passphrase.'
    : next.length < MIN_PASSPHRASE_LENGTH
      ? `Choose a new passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters.`
      : next === current
        ? 'The new passphrase is the same as the current one.'
        : next !== confirm
          ? 'The two new passphrases differ.'
          : !understood
            ? 'Confirm that you understand the new passphrase cannot be recovered.'
            : null;

  return (
    <section aria-labelledby="passphrase-title" className="stack">
      <h3 id="passphrase-title">Change passphrase</h3>
      <div className="callout warn small">
        Your keys stay as they are; only their wrapping changes. <strong>The new passphrase cannot be recovered</strong>: nobody can reset
        it for you. Other browsers signed in to this account are signed out.
      </div>
      <form
        className="stack"
        aria-label="Change passphrase"
        onSubmit={(event) => {
          event.preventDefault();
          setDone(null);
          if (!problem && !change.busy) void change.run();
        }}
      >
        <div className="field">
          <label htmlFor="current-passphrase">Current passphrase</label>
          <input id="current-passphrase" type="password" autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-passphrase">New passphrase</label>
          <input
            id="new-passphrase"
            type="password"
            autoComplete="new-password"
            aria-describedby="new-passphrase-strength"
            value={next}
            onChange={(event) => setNext(event.target.value)}
          />
          <p id="new-passphrase-strength" className="help" aria-live="polite" data-strength={strength?.score}>
            {strength ? (
              <>
                <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.score} aria-label="Strength" /> {strength.label}. {strength.tip}
              </>
            ) : (
              `At least ${MIN_PASSPHRASE_LENGTH} characters; several unrelated words work well.`
            )}
          </p>
        </div>
        <div className="field">
          <label htmlFor="confirm-new-passphrase">New passphrase again</label>
          <input id="confirm-new-passphrase" type="password" autoComplete="new-password" value={confirm} onChange={(event) => setConfirm(event.target.value)} />
        </div>
        <label className="row small">
          <input id="new-understood" type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} />I understand the new
          passphrase cannot be recovered.
        </label>
        <ErrorNote error={change.error} companionUrl={status.companionUrl} />
        {done && (
          <p className="callout ok small" role="status">
            {done}
          </p>
        )}
        {problem && (current || next || confirm) ? <p className="small muted">{problem}</p> : null}
        <button className="primary" type="submit" disabled={problem !== null || change.busy}>
          {change.busy ? <span className="spinner" aria-hidden="true" /> : null}
          {change.busy ? 'Changing…' : 'Change passphrase'}
        </button>
      </form>
    </section>
  );
}
