// The route's own bookkeeping where providers fail in ways the emulator cannot time exactly: the
// providers here are scripted ProviderAdapters (the boundary to the network), the route is ours.
import { defaultPolicy } from '@byok/shared/plans/policy';
import { getPlan } from '@byok/shared/plans/plans';
import type { ProviderId } from '@byok/shared';
import type { ProgressEvent } from '@byok/shared/wire/enrich';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/provider-error';
import type { Completion, ProviderAdapter, Prompt } from '../providers/types';
import type { UsageStore } from '../store/usage-store';
import type { Candidate, RouteStep } from './route-candidates';
import { executeRoute, RouteCrash, type RouteEnvironment, type RouteRequest } from './routing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function step(provider: ProviderId, openKey: () => Promise<string | null> = async () => 'sk-test'): RouteStep {
  const candidate: Candidate = { provider, model: 'some-model', source: 'byok', secretId: `${provider}-key`, label: provider, baseUrl: 'https://provider.test', contextTokens: 4_000, openKey };
  return { kind: 'try', candidate };
}

/** Each provider answers after `ms` with a one-line answer, or fails with `fail`. */
function environment(script: Partial<Record<ProviderId, { ms: number; fail?: () => ProviderError | Error }>>): RouteEnvironment {
  const adapter = (provider: ProviderId): ProviderAdapter => ({
    async complete(_call, _prompt: Prompt): Promise<Completion> {
      const plan = script[provider] ?? { ms: 0 };
      await sleep(plan.ms);
      if (plan.fail) throw plan.fail();
      return { text: 'A summary.', usage: { inputTokens: 10, outputTokens: 3 }, usageReported: true, finishReason: 'stop' };
    },
    verify: () => Promise.reject(new Error('not used')),
  });
  return {
    adapters: { forProvider: adapter },
    // Only platform candidates read the store (the quota); these tests route personal keys.
    usage: {} as UsageStore,
    allowedBaseUrls: [],
    timeoutFor: () => 5_000,
    onKeyRejected: () => true,
  };
}

function request(extra: Partial<RouteRequest> = {}): RouteRequest {
  return { orgId: 'o', userId: 'u', requestId: 'r', task: 'summary', text: `${'First part. '.repeat(700)}\n\n${'Second part. '.repeat(700)}`, policy: defaultPolicy('pro'), plan: getPlan('pro'), ...extra };
}

const unavailable = () => new ProviderError({ provider: 'x', kind: 'server', status: 503 });

describe('executeRoute', () => {
  it('keeps the rows of attempts made before an unexpected error', async () => {
    const env = environment({ openai: { ms: 0, fail: unavailable }, mistral: { ms: 0, fail: () => new TypeError('a bug') } });
    const error = await executeRoute(env, request(), [step('openai'), step('mistral')]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RouteCrash);
    expect((error as RouteCrash).reason).toBeInstanceOf(TypeError);
    // The 503 attempt is a row; the one that crashed has none (its usage is unknown).
    expect((error as RouteCrash).rows.map((row) => `${row.provider}:${row.outcome}`)).toEqual(['openai:unreachable']);
  });

  it('skips a key that cannot be opened and goes on, with no row for it', async () => {
    const unavailableKeys: string[] = [];
    const env = { ...environment({}), onKeyUnavailable: (candidate: Candidate) => void unavailableKeys.push(candidate.provider) };
    const gone = step('anthropic', () => Promise.reject(new Error('deleted meanwhile')));
    const outcome = await executeRoute(env, request({ text: 'Short.' }), [gone, step('openai')]);
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    expect(outcome.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.outcome}`)).toEqual(['anthropic:skipped', 'openai:ok']);
    expect(outcome.rows.map((row) => row.provider)).toEqual(['openai']);
    expect(unavailableKeys).toEqual(['anthropic']);
  });

  it('stores nothing for a client that left while the last candidate failed', async () => {
    const controller = new AbortController();
    // The provider's 503 arrives after the client has gone: before, that became a stored 502.
    const env = environment({ openai: { ms: 30, fail: unavailable } });
    setTimeout(() => controller.abort(), 10);
    const outcome = await executeRoute(env, request({ text: 'Short.', signal: controller.signal }), [step('openai')]);
    expect(outcome.kind).toBe('aborted');
    expect(outcome.rows.map((row) => row.outcome)).toEqual(['unreachable']);
  });

  it('counts progress on across candidates instead of starting again', async () => {
    const events: ProgressEvent[] = [];
    // The first candidate answers its first chunk, then fails the second; the next one does all.
    let calls = 0;
    const env = environment({});
    env.adapters.forProvider = (provider: ProviderId): ProviderAdapter => ({
      async complete(): Promise<Completion> {
        if (provider !== 'openai') return sleep(1).then(() => ({ text: 'A summary.', usage: { inputTokens: 10, outputTokens: 3 }, usageReported: true, finishReason: 'stop' }));
        const mine = ++calls;
        await sleep(5 * mine);
        if (mine > 1) throw unavailable();
        return { text: 'A summary.', usage: { inputTokens: 10, outputTokens: 3 }, usageReported: true, finishReason: 'stop' };
      },
      verify: () => Promise.reject(new Error('not used')),
    });
    const outcome = await executeRoute(env, request({ onProgress: (event) => events.push(event) }), [step('openai'), step('mistral')]);
    expect(outcome.kind).toBe('ok');
    const done = events.map((event) => event.done);
    // One chunk from the first candidate, then every chunk and the merge from the second: 1, 2, 3...
    // (before, the second candidate started again at 1), ending at its total.
    expect(done.length).toBeGreaterThan(2);
    expect(done).toEqual(done.map((_, index) => index + 1));
    for (const event of events) expect(event.done).toBeLessThanOrEqual(event.total);
    expect(events.at(-1)?.done).toBe(events.at(-1)?.total);
  });
});
