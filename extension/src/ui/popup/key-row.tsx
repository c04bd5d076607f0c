// One personal key: icon, label, masked hint, dates, status badge, and its actions (move,
// rotate, verify, remove with confirmation).
import { useState } from 'react';
import type { Policy } from '@byok/shared/plans/policy';
import { send } from '../../core/client';
import type { CachedKey } from '../../db';
import { ErrorNote } from '../error-note';
import { formatDate, keyHintText } from '../format';
import { useAction } from '../hooks';
import { ProviderIcon, providerName } from '../provider-icon';
import { isStale } from './policy-rules';

interface DragHandlers {
  onDragStart: () => void;
  onDragEnd: () => void;
  onDragOver: (event: React.DragEvent) => void;
  onDrop: (event: React.DragEvent) => void;
}

export interface KeyRowProps {
  secret: CachedKey;
  index: number;
  count: number;
  policy: Policy | undefined;
  canOrder: boolean;
  dragging: boolean;
  dropTarget: boolean;
  onMove: (to: number) => void;
  onRotate: () => void;
  onChanged: () => void;
  dragHandlers: DragHandlers;
}

export function KeyRow({ secret, index, count, policy, canOrder, dragging, dropTarget, onMove, onRotate, onChanged, dragHandlers }: KeyRowProps) {
  const [confirming, setConfirming] = useState(false);
  const [verifyText, setVerifyText] = useState<string | null>(null);
  const verify = useAction(async () => {
    const result = await send('keys.verify', { id: secret.id });
    setVerifyText(
      result.status === 'valid'
        ? `Works${result.model ? ` (${result.model})` : ''}.`
        : result.status === 'invalid'
          ? `Refused by ${providerName(secret.provider)}: ${result.detail}`
          : `${providerName(secret.provider)} did not answer: ${result.detail}`,
    );
    onChanged();
  });
  const remove = useAction(async () => {
    await send('keys.remove', { id: secret.id });
    onChanged();
  });
  const stale = isStale(secret, policy);
  const badge = secret.status === 'invalid' ? 'invalid' : stale ? 'stale' : secret.status;
  const badgeText = { valid: 'valid', invalid: 'invalid', stale: `stale · rotate (over ${policy?.maxKeyAgeDays} days)`, unverified: 'unverified' }[badge];
  const labelId = `key-${secret.id}`;

  return (
    <li
      className={`card key${dragging ? ' dragging' : ''}${dropTarget ? ' drop-target' : ''}`}
      draggable={canOrder}
      aria-labelledby={labelId}
      data-key-id={secret.id}
      {...(canOrder ? dragHandlers : {})}
    >
      <ProviderIcon provider={secret.provider} />
      <div className="grow">
        <div className="spread">
          <strong id={labelId}>{secret.label}</strong>
          <span className={`badge ${badge}`} data-status={badge}>
            {badgeText}
          </span>
        </div>
        <div className="small muted">
          {providerName(secret.provider)} · <span className="mono" data-testid="hint">{keyHintText(secret)}</span>
          {secret.defaultModel ? ` · ${secret.defaultModel}` : ''}
        </div>
        <div className="small muted">
          Added {formatDate(secret.createdAt)}
          {secret.rotatedAt ? ` · rotated ${formatDate(secret.rotatedAt)}` : ''}
          {secret.lastUsedAt ? ` · used ${formatDate(secret.lastUsedAt)}` : ''}
        </div>
        {verifyText && (
          <p className="small" role="status">
            {verifyText}
          </p>
        )}
        <ErrorNote error={verify.error ?? remove.error} />
        {confirming ? (
          <div className="callout bad" role="alertdialog" aria-label={`Remove ${secret.label}?`}>
            <p className="small">
              Remove <strong>{secret.label}</strong>? The companion deletes it and its ciphertext. This cannot be undone.
            </p>
            <div className="row">
              <button className="danger" autoFocus onClick={() => void remove.run()} disabled={remove.busy}>
                Remove key
              </button>
              <button onClick={() => setConfirming(false)}>Cancel</button>
            </div>
          </div>
        ) : (
          <div className="actions">
            <button onClick={onRotate} aria-label={`Rotate ${secret.label}`}>
              Rotate
            </button>
            <button onClick={() => void verify.run()} disabled={verify.busy} aria-label={`Verify ${secret.label}`}>
              {verify.busy ? <span className="spinner" aria-hidden="true" /> : null}Verify
            </button>
            <button className="danger" onClick={() => setConfirming(true)} aria-label={`Remove ${secret.label}`}>
              Remove
            </button>
          </div>
        )}
      </div>
      {canOrder ? (
        <div className="stack" style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
          <button className="icon" onClick={() => onMove(index - 1)} disabled={index === 0} aria-label={`Move ${secret.label} up`}>
            ↑
          </button>
          <button className="icon" onClick={() => onMove(index + 1)} disabled={index === count - 1} aria-label={`Move ${secret.label} down`}>
            ↓
          </button>
        </div>
      ) : (
        <span />
      )}
    </li>
  );
}
