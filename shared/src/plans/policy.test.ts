import { describe, expect, it } from 'vitest';
import { PLANS, PLAN_IDS, getPlan } from './plans';
import type { PlanId } from './plans';
import {
  POLICY_PROVIDER_IDS,
  Policy,
  baseUrlListed,
  checkPlanFeature,
  checkPolicyWithinPlan,
  clampPolicy,
  defaultPolicy,
  effectivePolicy,
  isBaseUrlAllowed,
  withinPersonalProviderLimit,
} from './policy';

describe('plan table', () => {
  it('follows PRODUCT.md', () => {
    expect(PLANS.map((plan) => plan.id)).toEqual([...PLAN_IDS]);
    expect(PLANS.map((plan) => [plan.id, plan.byok, plan.personalProviderLimit, plan.providerOrder, plan.orgKeys])).toEqual([
      ['trial', false, 0, false, false],
      ['private', true, 1, false, false],
      ['pro', true, null, true, false],
      ['business', true, null, true, true],
      ['business_api', true, null, true, true],
    ]);
    expect(getPlan('business_api').apiAccess).toBe(true);
    expect(PLANS.filter((plan) => plan.apiAccess).map((plan) => plan.id)).toEqual(['business_api']);
  });

  it('grows quotas with the plan, in integer micro-dollars', () => {
    for (let i = 1; i < PLANS.length; i++) {
      const [lower, higher] = [PLANS[i - 1]!, PLANS[i]!];
      expect(higher.platformQuota.monthlyCalls).toBeGreaterThan(lower.platformQuota.monthlyCalls);
      expect(higher.platformQuota.monthlyCostMicros).toBeGreaterThan(lower.platformQuota.monthlyCostMicros);
    }
    expect(getPlan('trial').platformQuota).toEqual({ monthlyCalls: 50, monthlyCostMicros: 500_000 });
  });
});

describe('defaultPolicy', () => {
  it.each(PLAN_IDS)('is valid and within the %s plan', (plan) => {
    const policy = defaultPolicy(plan);
    expect(Policy.safeParse(policy).success).toBe(true);
    expect(checkPolicyWithinPlan(plan, policy)).toEqual([]);
    expect(Object.keys(policy.providers).sort()).toEqual([...POLICY_PROVIDER_IDS].sort());
  });

  it('switches BYOK off on trial only', () => {
    expect(defaultPolicy('trial').byokEnabled).toBe(false);
    expect(defaultPolicy('trial').providers.openai).toEqual({ byok: false, platform: true });
    expect(defaultPolicy('private').byokEnabled).toBe(true);
    expect(defaultPolicy('private').personalProviderLimit).toBe(1);
    expect(defaultPolicy('pro').personalProviderLimit).toBeNull();
  });

  it('returns fresh objects', () => {
    const policy = defaultPolicy('pro');
    policy.platformQuota.monthlyCalls = 1;
    expect(defaultPolicy('pro').platformQuota.monthlyCalls).toBe(2_000);
    expect(getPlan('pro').platformQuota.monthlyCalls).toBe(2_000);
  });
});

describe('checkPolicyWithinPlan', () => {
  const loosen = (plan: PlanId, change: Partial<Policy>): Policy => ({ ...defaultPolicy(plan), ...change });

  it('names the field, the allowed value and the plan that lifts it', () => {
    const violations = checkPolicyWithinPlan('trial', loosen('trial', { byokEnabled: true, providerOrder: true }));
    expect(violations.map((violation) => [violation.field, violation.liftedBy])).toEqual([
      ['byokEnabled', 'private'],
      ['providerOrder', 'pro'],
    ]);
    expect(violations[0]?.message).toContain('trial');
    expect(violations[0]?.message).toContain('private');
  });

  it('treats null as unlimited', () => {
    const [violation] = checkPolicyWithinPlan('private', loosen('private', { personalProviderLimit: null }));
    expect(violation).toMatchObject({ field: 'personalProviderLimit', allowed: 1, requested: null, liftedBy: 'pro' });
    expect(checkPolicyWithinPlan('private', loosen('private', { personalProviderLimit: 2 }))[0]?.liftedBy).toBe('pro');
    expect(checkPolicyWithinPlan('pro', loosen('pro', { personalProviderLimit: null }))).toEqual([]);
  });

  it('allows tightening: 0 and lower quotas are always fine', () => {
    const tight = loosen('pro', {
      byokEnabled: false,
      personalProviderLimit: 0,
      providerOrder: false,
      platformQuota: { monthlyCalls: 0, monthlyCostMicros: 0 },
    });
    expect(checkPolicyWithinPlan('pro', tight)).toEqual([]);
    expect(checkPolicyWithinPlan('trial', { ...tight, providerOrder: false })).toEqual([]);
  });

  it('finds the smallest plan whose quota covers the request, or none', () => {
    const more = loosen('private', { platformQuota: { monthlyCalls: 3_000, monthlyCostMicros: 5_000_000 } });
    expect(checkPolicyWithinPlan('private', more)).toMatchObject([{ field: 'platformQuota.monthlyCalls', allowed: 500, liftedBy: 'business' }]);
    const unlimited = loosen('business_api', { platformQuota: { monthlyCalls: 50_000, monthlyCostMicros: null } });
    const [violation] = checkPolicyWithinPlan('business_api', unlimited);
    expect(violation).toMatchObject({ field: 'platformQuota.monthlyCostMicros', liftedBy: null });
    expect(violation?.message).toContain('no plan');
  });
});

describe('clampPolicy and effectivePolicy', () => {
  it('lowers each value beyond the plan and keeps the rest', () => {
    const stored: Policy = {
      ...defaultPolicy('business'),
      personalProviderLimit: null,
      platformFallback: 'never',
      byokMetering: 'track',
      platformQuota: { monthlyCalls: 9_000, monthlyCostMicros: null },
      allowedBaseUrls: ['http://127.0.0.1:11434'],
      maxKeyAgeDays: 30,
    };
    const clamped = clampPolicy('private', stored);
    expect(checkPolicyWithinPlan('private', clamped)).toEqual([]);
    expect(clamped).toMatchObject({
      byokEnabled: true,
      personalProviderLimit: 1,
      providerOrder: false,
      platformFallback: 'never',
      byokMetering: 'track',
      platformQuota: { monthlyCalls: 500, monthlyCostMicros: 5_000_000 },
      allowedBaseUrls: ['http://127.0.0.1:11434'],
      maxKeyAgeDays: 30,
    });
    expect(clampPolicy('trial', stored).byokEnabled).toBe(false);
  });

  it('keeps tighter values and fills missing providers with the open rule', () => {
    const stored: Policy = { ...defaultPolicy('pro'), providers: { openai: { byok: false, platform: false } }, platformQuota: { monthlyCalls: 10, monthlyCostMicros: 0 } };
    const clamped = clampPolicy('pro', stored);
    expect(clamped.providers.openai).toEqual({ byok: false, platform: false });
    expect(clamped.providers.anthropic).toEqual({ byok: true, platform: true });
    expect(clamped.platformQuota).toEqual({ monthlyCalls: 10, monthlyCostMicros: 0 });
  });

  it('uses the plan defaults when nothing is stored', () => {
    expect(effectivePolicy('business', null)).toEqual(defaultPolicy('business'));
    const stored = { ...defaultPolicy('business'), maxKeyAgeDays: 7 };
    expect(effectivePolicy('trial', stored)).toMatchObject({ byokEnabled: false, maxKeyAgeDays: 7, personalProviderLimit: 0 });
  });
});

describe('plan features, provider limit and base URLs', () => {
  it('explains a missing feature with the plan that has it', () => {
    expect(checkPlanFeature('pro', 'providerOrder')).toBeNull();
    expect(checkPlanFeature('private', 'providerOrder')).toMatchObject({ field: 'providerOrder', liftedBy: 'pro' });
    expect(checkPlanFeature('pro', 'orgKeys')).toMatchObject({ liftedBy: 'business' });
    expect(checkPlanFeature('business', 'apiAccess')?.message).toContain('business_api');
    expect(checkPlanFeature('trial', 'byok')?.liftedBy).toBe('private');
  });

  it('counts distinct providers against the personal provider limit', () => {
    expect(withinPersonalProviderLimit(1, [], 'openai')).toBe(true);
    expect(withinPersonalProviderLimit(1, ['openai'], 'openai')).toBe(true);
    expect(withinPersonalProviderLimit(1, ['openai'], 'anthropic')).toBe(false);
    expect(withinPersonalProviderLimit(0, [], 'openai')).toBe(false);
    expect(withinPersonalProviderLimit(null, ['openai', 'groq'], 'anthropic')).toBe(true);
  });

  it('matches allowed base URLs on segment boundaries', () => {
    expect(baseUrlListed(['http://10.0.0.7:8000'], 'http://10.0.0.7:8000/v1')).toBe(true);
    expect(baseUrlListed(['http://10.0.0.7:8000'], 'http://10.0.0.7:8000')).toBe(true);
    expect(baseUrlListed(['http://10.0.0.7:8000'], 'http://10.0.0.7:80001')).toBe(false);
    expect(baseUrlListed(['http://10.0.0.7:8000/v1'], 'http://10.0.0.7:8000')).toBe(false);
    expect(baseUrlListed([], 'http://127.0.0.1:11434')).toBe(false);
  });

  it('applies the save-time base URL rule per provider', () => {
    const policy = { allowedBaseUrls: ['http://127.0.0.1:11434'] };
    expect(isBaseUrlAllowed(policy, 'openai', '')).toBe(true);
    expect(isBaseUrlAllowed(policy, 'openai', 'https://proxy.example/v1')).toBe(false);
    expect(isBaseUrlAllowed(policy, 'ollama', 'http://127.0.0.1:11434')).toBe(true);
    expect(isBaseUrlAllowed(policy, 'ollama', '')).toBe(false);
    expect(isBaseUrlAllowed(policy, 'vllm', 'http://127.0.0.1:8000/v1')).toBe(false);
    expect(isBaseUrlAllowed(policy, 'azure-openai', 'https://res.openai.azure.com')).toBe(true);
    expect(isBaseUrlAllowed(policy, 'azure-openai', 'https://evil.example')).toBe(false);
    expect(isBaseUrlAllowed(policy, 'builtin', '')).toBe(false);
  });
});
