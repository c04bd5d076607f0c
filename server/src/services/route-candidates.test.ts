// Route order and eligibility (PRODUCT.md "Routing a call", API.md "Routing outcomes").
import { describe, expect, it } from 'vitest';
import { getPlan } from '@byok/shared/plans/plans';
import { defaultPolicy, type Policy } from '@byok/shared/plans/policy';
import { baseUrlFor, buildRouteSteps, type CandidateInputs, type PersonalKeyInfo, type RouteStep } from './route-candidates';

function personal(provider: string, secretId: string, released: boolean, extra: Partial<PersonalKeyInfo> = {}): PersonalKeyInfo {
  return { secretId, provider, label: `${provider} key`, baseUrl: '', defaultModel: null, releasedKey: released ? `key-${secretId}` : undefined, ...extra };
}

function inputs(overrides: Partial<CandidateInputs> = {}, policyChange: (policy: Policy) => void = () => undefined): CandidateInputs {
  const policy = defaultPolicy('business');
  policyChange(policy);
  return {
    policy,
    plan: getPlan('business'),
    personal: [personal('anthropic', 'a', true), personal('openai', 'b', false), personal('groq', 'c', true)],
    org: [{ secretId: 'o', provider: 'mistral', label: 'org mistral', baseUrl: '', defaultModel: null, version: 1, open: async () => 'org-key' }],
    platform: [['openai', 'platform-key']],
    operatorBaseUrls: {},
    ...overrides,
  };
}

function summary(steps: RouteStep[]): string[] {
  return steps.map((step) => (step.kind === 'skip' ? `${step.provider}:skip` : `${step.candidate.provider}:${step.candidate.source}`));
}

describe('buildRouteSteps', () => {
  it('orders personal keys (user order, ungranted ones skipped), then org keys, then platform keys', () => {
    expect(summary(buildRouteSteps(inputs()))).toEqual(['anthropic:byok', 'openai:skip', 'groq:byok', 'mistral:org', 'openai:platform']);
  });

  it('restricts every source to a named provider, with its model', () => {
    const steps = buildRouteSteps(inputs({ provider: 'openai', model: 'gpt-4o' }));
    expect(summary(steps)).toEqual(['openai:skip', 'openai:platform']);
    const platform = steps[1];
    expect(platform?.kind === 'try' && platform.candidate.model).toBe('gpt-4o');
  });

  it("serves only the catalog's models with the operator's key, which quotas count at catalog prices", () => {
    const named = (model: string) => buildRouteSteps(inputs({ provider: 'openai', model, personal: [personal('openai', 'b', true)] }));
    // A model the catalog does not price goes to the member's own key, not to the shared one.
    const uncatalogued = named('o1-pro-2025-03-19');
    expect(summary(uncatalogued)).toEqual(['openai:byok', 'openai:skip']);
    expect(uncatalogued[1]).toEqual({ kind: 'skip', provider: 'openai', source: 'platform', reason: 'the shared OpenAI key serves only the models in the catalog' });
    expect(summary(named('gpt-4o'))).toEqual(['openai:byok', 'openai:platform']);
    // A local provider's models are all priced at 0: the operator's server takes any it serves.
    const local = buildRouteSteps(inputs({ provider: 'vllm', model: 'my-served-model', personal: [], platform: [['vllm', '']], operatorBaseUrls: { vllm: 'http://127.0.0.1:8000/v1' } }));
    expect(summary(local)).toEqual(['vllm:platform']);
  });

  it('drops personal keys where BYOK or the provider is off, and shared keys where platform is off', () => {
    expect(summary(buildRouteSteps(inputs({}, (policy) => { policy.byokEnabled = false; })))).toEqual(['mistral:org', 'openai:platform']);
    expect(
      summary(buildRouteSteps(inputs({}, (policy) => { policy.providers.anthropic = { byok: false, platform: true }; policy.providers.openai = { byok: true, platform: false }; }))),
    ).toEqual(['openai:skip', 'groq:byok', 'mistral:org']);
  });

  it('platformFallback never: shared keys only for members with no usable key of their own', () => {
    const never = (policy: Policy) => { policy.platformFallback = 'never'; };
    expect(summary(buildRouteSteps(inputs({}, never)))).toEqual(['anthropic:byok', 'openai:skip', 'groq:byok']);
    expect(summary(buildRouteSteps(inputs({ personal: [personal('openai', 'b', false)] }, never)))).toEqual(['openai:skip', 'mistral:org', 'openai:platform']);
  });

  it('builtin: when named, or when nothing else can be tried and no provider is named', () => {
    expect(summary(buildRouteSteps(inputs({ provider: 'builtin' })))).toEqual(['builtin:builtin']);
    expect(summary(buildRouteSteps(inputs({ personal: [personal('openai', 'b', false)], org: [], platform: [] })))).toEqual(['openai:skip', 'builtin:builtin']);
    // A named provider with nothing to try does not turn into builtin.
    expect(summary(buildRouteSteps(inputs({ provider: 'google', org: [], platform: [] })))).toEqual([]);
  });

  it('organization keys need a plan that has them', () => {
    expect(summary(buildRouteSteps(inputs({ plan: getPlan('pro'), personal: [] })))).toEqual(['openai:platform']);
  });

  it('uses the key default model, the context from the catalog, and the operator base URL', () => {
    const steps = buildRouteSteps(
      inputs({ personal: [personal('aleph-alpha', 'x', true, { defaultModel: 'pharia-1-llm-7b-control' })], operatorBaseUrls: { 'aleph-alpha': 'http://127.0.0.1:9/aa' } }),
    );
    const first = steps[0];
    expect(first?.kind).toBe('try');
    if (first?.kind !== 'try') return;
    expect(first.candidate).toMatchObject({ model: 'pharia-1-llm-7b-control', contextTokens: 8_192, baseUrl: 'http://127.0.0.1:9/aa' });
  });
});

describe('keyless personal entries', () => {
  const OLLAMA = 'http://10.0.0.5:11434';
  const ollama = (extra: Partial<PersonalKeyInfo> = {}) => personal('ollama', 'k', false, { baseUrl: OLLAMA, keyless: true, ...extra });
  const allowOllama = (policy: Policy) => { policy.allowedBaseUrls = [OLLAMA]; };

  it('are tried in the user order without a grant, and open no key', async () => {
    const steps = buildRouteSteps(inputs({ personal: [personal('openai', 'b', false), ollama(), personal('groq', 'c', true)] }, allowOllama));
    expect(summary(steps)).toEqual(['openai:skip', 'ollama:byok', 'groq:byok', 'mistral:org', 'openai:platform']);
    const step = steps[1];
    expect(step?.kind).toBe('try');
    if (step?.kind !== 'try') return;
    expect(step.candidate).toMatchObject({ secretId: 'k', source: 'byok', baseUrl: OLLAMA, model: 'llama3.2' });
    await expect(step.candidate.openKey()).resolves.toBeNull();
  });

  it('count as the member own key for platformFallback never', () => {
    const never = (policy: Policy) => { allowOllama(policy); policy.platformFallback = 'never'; };
    expect(summary(buildRouteSteps(inputs({ personal: [ollama()] }, never)))).toEqual(['ollama:byok']);
  });

  it('are dropped where the policy no longer allows their provider or base URL', () => {
    expect(summary(buildRouteSteps(inputs({ personal: [ollama()], org: [], platform: [] })))).toEqual(['builtin:builtin']);
    const off = (policy: Policy) => { allowOllama(policy); policy.providers.ollama = { byok: false, platform: true }; };
    expect(summary(buildRouteSteps(inputs({ personal: [ollama()], org: [], platform: [] }, off)))).toEqual(['builtin:builtin']);
    expect(summary(buildRouteSteps(inputs({ personal: [ollama()], org: [], platform: [] }, allowOllama)))).toEqual(['ollama:byok']);
  });
});

describe('keys bound to a base URL', () => {
  const VLLM = 'https://vllm.example.com/v1';
  const vllm = personal('vllm', 'v', true, { baseUrl: VLLM });
  const orgVllm = { secretId: 'ov', provider: 'vllm', label: 'org vllm', baseUrl: VLLM, defaultModel: 'm', version: 1, open: async () => 'org-key' };
  const allowVllm = (policy: Policy) => { policy.allowedBaseUrls = [VLLM]; };

  it('get no call once the policy no longer allows their base URL, personal and organization keys alike', () => {
    const only = { personal: [vllm], org: [orgVllm], platform: [] as CandidateInputs['platform'] };
    expect(summary(buildRouteSteps(inputs(only, allowVllm)))).toEqual(['vllm:byok', 'vllm:org']);
    expect(summary(buildRouteSteps(inputs(only)))).toEqual(['builtin:builtin']);
    // The operator's URL for that provider counts as allowed.
    expect(summary(buildRouteSteps(inputs({ ...only, operatorBaseUrls: { vllm: VLLM } })))).toEqual(['vllm:byok', 'vllm:org']);
  });
});

describe('baseUrlFor', () => {
  it('picks the operator override, the fixed host, or the key URL', () => {
    expect(baseUrlFor('openai', '', {})).toBe('https://api.openai.com/v1');
    expect(baseUrlFor('openai', '', { openai: 'http://127.0.0.1:9000/v1' })).toBe('http://127.0.0.1:9000/v1');
    expect(baseUrlFor('ollama', 'http://10.0.0.5:11434', {})).toBe('http://10.0.0.5:11434');
    expect(baseUrlFor('ollama', '', {})).toBe('http://127.0.0.1:11434');
    expect(baseUrlFor('builtin', '', {})).toBe('');
  });
});
