// Keys waiting in the outbox (sealed, uploaded in order when the companion answers) and those
// the companion refused, with the reason and a way to retry or discard.
import { send } from '../../core/client';
import type { OutboxItem } from '../../db';
import { ErrorNote } from '../error-note';
import { formatDateTime, keyHintText } from '../format';
import { useAction } from '../hooks';
import { providerName } from '../provider-icon';

export function OutboxList({ items, onChanged }: { items: OutboxItem[]; onChanged: () => void }) {
  const retry = useAction(async (seq: number) => {
    await send('outbox.retry', { seq });
    await send('outbox.drain');
    onChanged();
  });
  const discard = useAction(async (seq: number) => {
    await send('outbox.discard', { seq });
    onChanged();
  });
  const uploadNow = useAction(async () => {
    await send('outbox.drain');
    onChanged();
  });
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="outbox-title" data-testid="outbox">
      <div className="spread">
        <h3 id="outbox-title">Outbox</h3>
        <button className="link" onClick={() => void uploadNow.run()} disabled={uploadNow.busy}>
          Upload now
        </button>
      </div>
      <p className="small muted">Sealed on this device; uploaded in order when the companion answers.</p>
      <ErrorNote error={uploadNow.error ?? retry.error ?? discard.error} />
      <ul className="plain">
        {items.map((item) => (
          <li key={item.seq} className="card" data-outbox-state={item.state}>
            <div className="spread">
              <strong>
                {item.kind === 'rotate' ? 'Rotate ' : ''}
                {item.label}
              </strong>
              <span className={`badge ${item.state === 'failed' ? 'failed' : 'waiting'}`}>{item.state === 'failed' ? 'refused' : 'waiting'}</span>
            </div>
            <div className="small muted">
              {providerName(item.provider)} · <span className="mono">{keyHintText(item)}</span> · saved {formatDateTime(item.createdAt)}
              {item.attempts > 0 && item.state === 'pending' ? ` · ${item.attempts} attempt(s)` : ''}
            </div>
            {item.lastError && (
              <p className={`small ${item.state === 'failed' ? 'help bad' : 'muted'}`}>
                {item.state === 'failed' ? 'Refused: ' : 'Last try: '}
                {item.lastError.message}
              </p>
            )}
            {item.state === 'failed' && item.seq !== undefined && (
              <div className="row">
                <button onClick={() => void retry.run(item.seq!)}>Retry</button>
                <button className="danger" onClick={() => void discard.run(item.seq!)}>
                  Discard
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
