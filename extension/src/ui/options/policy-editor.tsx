// The organization's policy as a form (API.md "Policy"). The companion checks it against the
// plan and answers plan_limit with the reason, which is shown as is.
import { useState } from 'react';
import type { Policy } from '@byok/shared/plans/policy';
import { getProvider } from '../catalog';
import { send } from '../../core/client';
import { ErrorNote } from '../error-note';
import { useAction } from '../hooks';

function limitText(value: number | null): string {
  return value === null ? '' : String(value);
}

function parseLimit(text: string): number | null {
  return text.trim() === '' ? null : Math.max(0, Math.floor(Number(text)));
}

export function PolicyEditor({ initial, plan, onSaved }: { initial: Policy; plan: string; onSaved: (policy: Policy) => void }) {
  const [policy, setPolicy] = useState<Policy>(initial);
  const [baseUrls, setBaseUrls] = useState(initial.allowedBaseUrls.join('\n'));
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    const next = await send('admin.putPolicy', {
      policy: { ...policy, allowedBaseUrls: baseUrls.split('\n').map((line) => line.trim()).filter(Boolean) },
    });
    setPolicy(next);
    setSaved(true);
    onSaved(next);
  });
  const set = <K extends keyof Policy>(key: K, value: Policy[K]) => {
    setSaved(false);
    setPolicy((current) => ({ ...current, [key]: value }));
  };
  const providerIds = Object.keys(policy.providers) as (keyof Policy['providers'])[];

  return (
    <form
      className="stack"
      aria-labelledby="policy-title"
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      <h2 id="policy-title">Policy ({plan} plan)</h2>
      <div className="row">
        <input id="byok-enabled" type="checkbox" checked={policy.byokEnabled} onChange={(event) => set('byokEnabled', event.target.checked)} />
        <label htmlFor="byok-enabled" style={{ margin: 0 }}>
          Members may bring their own keys
        </label>
      </div>
      <table>
        <caption className="sr-only">Providers</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Personal keys</th>
            <th scope="col">Platform and organization keys</th>
          </tr>
        </thead>
        <tbody>
          {providerIds.map((id) => {
            const rule = policy.providers[id] ?? { byok: true, platform: true };
            const name = getProvider(id)?.name ?? id;
            return (
              <tr key={id}>
                <td>{name}</td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${name}: personal keys`}
                    checked={rule.byok}
                    onChange={(event) => set('providers', { ...policy.providers, [id]: { ...rule, byok: event.target.checked } })}
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${name}: platform and organization keys`}
                    checked={rule.platform}
                    onChange={(event) => set('providers', { ...policy.providers, [id]: { ...rule, platform: event.target.checked } })}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="field">
        <label htmlFor="provider-limit">Personal providers per member (empty = unlimited)</label>
        <input id="provider-limit" type="number" min={0} value={limitText(policy.personalProviderLimit)} onChange={(event) => set('personalProviderLimit', parseLimit(event.target.value))} />
      </div>
      <div className="row">
        <input id="provider-order" type="checkbox" checked={policy.providerOrder} onChange={(event) => set('providerOrder', event.target.checked)} />
        <label htmlFor="provider-order" style={{ margin: 0 }}>
          Members may order their keys
        </label>
      </div>
      <div className="field">
        <label htmlFor="fallback">When personal keys cannot answer</label>
        <select id="fallback" value={policy.platformFallback} onChange={(event) => set('platformFallback', event.target.value as Policy['platformFallback'])}>
          <option value="auto">Fall back to the platform key</option>
          <option value="never">Never use the platform key for BYOK users</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="metering">Calls with personal keys</label>
        <select id="metering" value={policy.byokMetering} onChange={(event) => set('byokMetering', event.target.value as Policy['byokMetering'])}>
          <option value="bypass">Do not count against the quota</option>
          <option value="track">Count (not charged)</option>
        </select>
      </div>
      <div className="row">
        <div className="field grow">
          <label htmlFor="quota-calls">Monthly platform calls</label>
          <input
            id="quota-calls"
            type="number"
            min={0}
            value={limitText(policy.platformQuota.monthlyCalls)}
            onChange={(event) => set('platformQuota', { ...policy.platformQuota, monthlyCalls: parseLimit(event.target.value) })}
          />
        </div>
        <div className="field grow">
          <label htmlFor="quota-cost">Monthly cost cap (USD)</label>
          <input
            id="quota-cost"
            type="number"
            min={0}
            step="0.01"
            value={policy.platformQuota.monthlyCostMicros === null ? '' : policy.platformQuota.monthlyCostMicros / 1_000_000}
            onChange={(event) =>
              set('platformQuota', {
                ...policy.platformQuota,
                monthlyCostMicros: event.target.value.trim() === '' ? null : Math.round(Number(event.target.value) * 1_000_000),
              })
            }
          />
        </div>
      </div>
      <div className="field">
        <label htmlFor="base-urls">Allowed base URLs for local and self-hosted providers (one per line)</label>
        <textarea id="base-urls" rows={3} value={baseUrls} onChange={(event) => setBaseUrls(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="max-age">Rotation reminder after (days, empty = never)</label>
        <input
          id="max-age"
          type="number"
          min={1}
          max={3650}
          value={policy.maxKeyAgeDays ?? ''}
          onChange={(event) => set('maxKeyAgeDays', event.target.value.trim() === '' ? null : Number(event.target.value))}
        />
      </div>
      <ErrorNote error={save.error} />
      {saved && <p className="callout ok small" role="status">Policy saved.</p>}
      <button className="primary" type="submit" disabled={save.busy}>
        Save policy
      </button>
    </form>
  );
}
