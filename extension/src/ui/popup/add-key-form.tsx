// Add (or rotate) a key: provider, label, key (password field, format checked live), default
// model, base URL where the provider takes one. Save stays disabled with the reason shown while
// something is missing or the plan forbids it. Once sealed, the key leaves state and the DOM.
import { useMemo, useRef, useState } from 'react';
import { getProvider, matchesKeyFormat, PROVIDERS } from '../catalog';
import { normalizeBaseUrl } from '@byok/shared/providers/base-url';
import { keyHintText } from '../format';
import { send } from '../../core/client';
import type { StatusView } from '../../core/messages';
import type { CachedKey } from '../../db';
import { ErrorNote } from '../error-note';
import { useAction, useLoad } from '../hooks';
import { providerName } from '../provider-icon';
import { saveRule } from './policy-rules';

const CHOICES = PROVIDERS.filter((entry) => entry.id !== 'builtin' && (entry.keyPattern !== null || !entry.keyRequired));

function formatAdvice(provider: string): string {
  const entry = getProvider(provider);
  if (!entry) return '';
  if (!entry.keyRequired) return 'This provider can run without a key: leave the field empty unless your server asks for one.';
  if (entry.keyPrefixes.length > 0) return `${entry.name} keys start with ${entry.keyPrefixes.map((prefix) => `"${prefix}"`).join(' or ')}.`;
  return `Paste the ${entry.name} key exactly as issued.`;
}

export function AddKeyForm({ rotating, status, onDone }: { rotating: CachedKey | null; status: StatusView; onDone: () => void }) {
  const [provider, setProvider] = useState(rotating?.provider ?? 'openai');
  const [label, setLabel] = useState(rotating?.label ?? '');
  const [apiKey, setApiKey] = useState('');
  const [model, setModel] = useState(rotating?.defaultModel ?? getProvider(provider)?.defaultModel ?? '');
  const [baseUrl, setBaseUrl] = useState(rotating?.baseUrl ?? getProvider(provider)?.defaultBaseUrl ?? '');
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const keyInput = useRef<HTMLInputElement>(null);
  const keys = useLoad(() => send('keys.list'));
  const me = useLoad(() => send('me').catch(() => null));
  const entry = getProvider(provider);

  const rule = useMemo(
    () => saveRule(me.data?.policy, me.data?.org.plan, provider, keys.data?.keys ?? [], rotating !== null),
    [me.data, provider, keys.data, rotating],
  );

  // Providers that run without a key (a local Ollama) may be saved with the field left empty.
  const keyOptional = entry?.keyRequired === false;
  const keyOk = apiKey.length > 0 ? matchesKeyFormat(provider, apiKey) : keyOptional;
  const needsBaseUrl = entry?.baseUrl === 'required';
  const baseUrlOk = !needsBaseUrl || normalizeBaseUrl(baseUrl) !== null;
  const reason = !label.trim()
    ? 'Give the key a label.'
    : !apiKey && !keyOptional
      ? 'Paste the key.'
      : !keyOk
        ? `This does not look like a ${entry?.name ?? ''} key. ${formatAdvice(provider)}`
        : !baseUrlOk
          ? 'Enter the base URL as http(s)://host[:port][/path].'
          : rule.kind === 'blocked'
            ? rule.reason
            : null;

  const clearKey = () => {
    setApiKey('');
    if (keyInput.current) keyInput.current.value = '';
  };

  const save = useAction(async (replace: boolean) => {
    try {
      const result = await send('keys.save', {
        ...(rotating ? { secretId: rotating.id } : {}),
        provider,
        label,
        apiKey,
        defaultModel: model || undefined,
        baseUrl: needsBaseUrl ? baseUrl : undefined,
        replace,
      });
      setOutcome(
        result.state === 'stored'
          ? `${rotating ? 'Rotated' : 'Saved'} "${label.trim()}".`
          : `"${label.trim()}" is sealed and waits in the outbox; it uploads when the companion answers.`,
      );
      setLabel('');
      setConfirmReplace(false);
      onDone();
    } finally {
      // The background sealed (or refused) the key: it leaves React state and the DOM either way.
      clearKey();
    }
  });

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    if (reason || save.busy) return;
    if (rule.kind === 'replaces' && !confirmReplace) {
      setConfirmReplace(true);
      return;
    }
    void save.run(rule.kind === 'replaces');
  };

  return (
    <form className="stack" onSubmit={onSubmit} aria-label={rotating ? `Rotate ${rotating.label}` : 'Add a key'} autoComplete="off">
      {rotating && (
        <div className="callout info small">
          Rotating <strong>{rotating.label}</strong> ({keyHintText(rotating)}). Paste the new key; the old one is replaced on the companion.
        </div>
      )}
      <div className="field">
        <label htmlFor="provider">Provider</label>
        <select
          id="provider"
          value={provider}
          disabled={rotating !== null}
          onChange={(event) => {
            const next = event.target.value;
            setProvider(next);
            setModel(getProvider(next)?.defaultModel ?? '');
            setBaseUrl(getProvider(next)?.defaultBaseUrl ?? '');
            setConfirmReplace(false);
          }}
        >
          {CHOICES.map((choice) => (
            <option key={choice.id} value={choice.id}>
              {choice.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="label">Label</label>
        <input id="label" value={label} onChange={(event) => setLabel(event.target.value)} placeholder="e.g. Personal, Work" maxLength={100} />
      </div>
      <div className="field">
        <label htmlFor="api-key">Key</label>
        <input
          ref={keyInput}
          id="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value.trim())}
          aria-describedby="api-key-help"
          aria-invalid={apiKey.length > 0 && !keyOk}
        />
        <p id="api-key-help" className={`help ${apiKey ? (keyOk ? 'ok' : 'bad') : ''}`} aria-live="polite">
          {apiKey ? (keyOk ? `✓ Matches the ${entry?.name} key format.` : `✗ ${formatAdvice(provider)}`) : formatAdvice(provider)}
        </p>
      </div>
      <div className="field">
        <label htmlFor="model">Default model</label>
        <input id="model" list="models" value={model} onChange={(event) => setModel(event.target.value)} />
        <datalist id="models">
          {entry?.models.map((option) => (
            <option key={option.id} value={option.id} />
          ))}
        </datalist>
      </div>
      {needsBaseUrl && (
        <div className="field">
          <label htmlFor="base-url">Base URL</label>
          <input
            id="base-url"
            type="url"
            value={baseUrl}
            disabled={rotating !== null}
            onChange={(event) => setBaseUrl(event.target.value)}
            placeholder={provider === 'azure-openai' ? 'https://<resource>.openai.azure.com' : 'http://127.0.0.1:8000/v1'}
            aria-describedby="base-url-help"
          />
          <p id="base-url-help" className="help">
            Sealed together with the key: the key can only ever be sent here. Local addresses must be allowed by your organization's policy.
          </p>
        </div>
      )}
      {confirmReplace && rule.kind === 'replaces' && (
        <div className="callout warn" role="alertdialog" aria-label="Replace key?">
          <p className="small">
            Your plan keeps keys for one provider at a time. Saving this {providerName(provider)} key <strong>removes</strong>{' '}
            {rule.keys.map((key) => `"${key.label}" (${providerName(key.provider)}, ${keyHintText(key)})`).join(', ')} from the companion.
          </p>
          <div className="row">
            <button type="submit" className="primary">
              Replace and save
            </button>
            <button type="button" onClick={() => setConfirmReplace(false)}>
              Keep the old key
            </button>
          </div>
        </div>
      )}
      <ErrorNote error={save.error} companionUrl={status.companionUrl} />
      {outcome && (
        <p className="callout ok small" role="status">
          {outcome}
        </p>
      )}
      {!confirmReplace && (
        <button type="submit" className="primary" disabled={reason !== null || save.busy} aria-describedby="save-reason">
          {save.busy ? <span className="spinner" aria-hidden="true" /> : null}
          {save.busy ? 'Sealing…' : rotating ? 'Rotate key' : 'Save key'}
        </button>
      )}
      {reason && (
        <p id="save-reason" className="help" aria-live="polite" data-testid="save-reason">
          {reason}
        </p>
      )}
      <p className="small muted">The key is encrypted on this device before it leaves. You will only ever see its masked hint.</p>
    </form>
  );
}
