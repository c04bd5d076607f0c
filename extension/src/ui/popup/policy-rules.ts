// What the policy means for the popup: whether a key is stale, whether Save is allowed for a
// provider (and why not), and when a save would replace another provider's key.
import type { Policy } from '@byok/shared/plans/policy';
import type { CachedKey } from '../../db';
import { providerName } from '../provider-icon';

const DAY_MS = 86_400_000;

export function isStale(key: CachedKey, policy: Policy | undefined, now = Date.now()): boolean {
  if (!policy?.maxKeyAgeDays || key.scope !== 'user') return false;
  const since = Date.parse(key.rotatedAt ?? key.createdAt ?? '');
  return Number.isFinite(since) && now - since > policy.maxKeyAgeDays * DAY_MS;
}

export type SaveRule = { kind: 'ok' } | { kind: 'blocked'; reason: string } | { kind: 'replaces'; keys: CachedKey[] };

export function saveRule(policy: Policy | undefined, plan: string | undefined, provider: string, keys: CachedKey[], rotating: boolean): SaveRule {
  if (!policy) return { kind: 'ok' };
  if (!policy.byokEnabled) {
    return { kind: 'blocked', reason: `Your organization's ${plan ?? ''} plan does not store personal keys. Ask its owner to upgrade.` };
  }
  if (policy.providers[provider as keyof Policy['providers']]?.byok === false) {
    return { kind: 'blocked', reason: `Your organization switched off personal keys for ${providerName(provider)}.` };
  }
  if (rotating) return { kind: 'ok' };
  const personal = keys.filter((key) => key.scope === 'user');
  const providers = new Set(personal.map((key) => key.provider));
  const limit = policy.personalProviderLimit;
  if (limit === null || providers.has(provider) || providers.size < limit) return { kind: 'ok' };
  if (limit === 0) return { kind: 'blocked', reason: 'Your plan does not allow personal keys.' };
  if (limit === 1) return { kind: 'replaces', keys: personal.filter((key) => key.provider !== provider) };
  return { kind: 'blocked', reason: `Your plan allows keys for ${limit} providers. Remove one to add ${providerName(provider)}.` };
}
