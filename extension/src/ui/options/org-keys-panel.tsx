// Organization keys: server-custodied (CRYPTO.md section 4), uploaded inside an
// org-secret-upload grant so the plaintext never crosses the wire in the clear.
import { useRef, useState } from 'react';
import { formatHint } from '@byok/shared/crypto/hint';
import { getProvider, matchesKeyFormat, PROVIDERS } from '../catalog';
import { send } from '../../core/client';
import type { CachedKey } from '../../db';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';
import { ProviderIcon, providerName } from '../provider-icon';

const CHOICES = PROVIDERS.filter((entry) => entry.id !== 'builtin' && entry.keyPattern !== null);

export function OrgKeysPanel({ keys, onChanged }: { keys: CachedKey[]; onChanged: () => void }) {
  const [provider, setProvider] = useState('openai');
  const [label, setLabel] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const keyInput = useRef<HTMLInputElement>(null);
  const entry = getProvider(provider);
  const upload = useAction(async () => {
    try {
      await send('admin.uploadOrgKey', { provider, label, apiKey, ...(entry?.baseUrl === 'required' ? { baseUrl } : {}) });
      setLabel('');
      onChanged();
    } finally {
      setApiKey('');
      if (keyInput.current) keyInput.current.value = '';
    }
  });
  const [deleting, setDeleting] = useState<string | null>(null);
  const remove = useAction(async (id: string) => {
    await send('admin.deleteOrgKey', { id });
    setDeleting(null);
    onChanged();
  });
  const keyOk = matchesKeyFormat(provider, apiKey);
  const reason = !label.trim() ? 'Give the key a label.' : !keyOk ? `Paste a ${entry?.name ?? ''} key.` : null;

  return (
    <section className="stack" aria-labelledby="org-keys-title">
      <h2 id="org-keys-title">Organization keys</h2>
      <div className="callout warn small">
        Organization keys are <strong>server-custodied</strong>: the companion encrypts them with its master key so members can use them without
        seeing them. Unlike personal keys they are not end-to-end encrypted.
      </div>
      <ul className="plain">
        {keys.map((key) => (
          <li key={key.id} className="card key">
            <ProviderIcon provider={key.provider} />
            <div>
              <strong>{key.label}</strong>
              <div className="small muted">
                {providerName(key.provider)} · <span className="mono">{formatHint(key.hint)}</span>
              </div>
            </div>
            {deleting === key.id ? (
              // The key is shared: every member who routes through it loses it at once.
              <span className="row">
                <button className="danger" onClick={() => void remove.run(key.id)}>
                  Delete for everyone
                </button>
                <button onClick={() => setDeleting(null)}>Cancel</button>
              </span>
            ) : (
              <button className="danger" aria-label={`Delete organization key ${key.label}`} onClick={() => setDeleting(key.id)}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorNote error={remove.error} />
      <form
        className="stack"
        aria-label="Upload an organization key"
        autoComplete="off"
        onSubmit={(event) => {
          event.preventDefault();
          if (!reason) void upload.run();
        }}
      >
        <div className="row">
          <div className="field grow">
            <label htmlFor="org-provider">Provider</label>
            <select id="org-provider" value={provider} onChange={(event) => setProvider(event.target.value)}>
              {CHOICES.map((choice) => (
                <option key={choice.id} value={choice.id}>
                  {choice.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field grow">
            <label htmlFor="org-label">Label</label>
            <input id="org-label" value={label} onChange={(event) => setLabel(event.target.value)} />
          </div>
        </div>
        <div className="field">
          <label htmlFor="org-key">Key</label>
          <input ref={keyInput} id="org-key" type="password" spellCheck={false} value={apiKey} onChange={(event) => setApiKey(event.target.value.trim())} />
        </div>
        {entry?.baseUrl === 'required' && (
          <div className="field">
            <label htmlFor="org-base-url">Base URL</label>
            <input id="org-base-url" type="url" value={baseUrl} onChange={(event) => setBaseUrl(event.target.value)} />
          </div>
        )}
        <ErrorNote error={upload.error} />
        <button className="primary" type="submit" disabled={reason !== null || upload.busy}>
          Upload organization key
        </button>
        {reason && <p className="help">{reason}</p>}
      </form>
    </section>
  );
}
