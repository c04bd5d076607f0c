// The enrichment pipeline with real adapters against the emulator: map-reduce over chunks with
// bounded parallelism and progress, usage summed over every call, the entity repair path, and
// cancellation (caller abort and first failure) stopping the remaining provider calls.
import { getProvider } from '@byok/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutboundClient, type OutboundClient } from '../../server/src/outbound/guarded-client';
import { createProviderAdapters, type ProviderAdapters } from '../../server/src/providers/registry';
import { EnrichmentFailure, runEnrichment, type EnrichmentTarget } from '../../server/src/enrichment/run-enrichment';
import { startEmulator, type Emulator } from '../emulator';
import { LeakCanary } from '../support/leak-canary';

let emulator: Emulator;
let client: OutboundClient;
let adapters: ProviderAdapters;
const key = new LeakCanary().key('openai');

/** A target with a deliberately small context so that a modest text needs many chunks. */
function target(contextTokens = 4_000): EnrichmentTarget {
  return {
    adapter: adapters.forProvider('openai'),
    call: { provider: 'openai', model: 'gpt-4o-mini', apiKey: key, baseUrl: emulator.urls.openai, allowedBaseUrls: [emulator.urls.openai] },
    contextTokens,
  };
}

function longText(paragraphs: number): string {
  return Array.from(
    { length: paragraphs },
    (_, index) => `Chapter ${index} opens here. Marie Curie studied radium in Paris during chapter ${index}. ${'More detail follows here. '.repeat(20)}`,
  ).join('\n\n');
}

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.addKey('openai', key);
  client = createOutboundClient({ timeoutMs: 10_000 });
  adapters = createProviderAdapters(client);
});
beforeEach(() => emulator.reset());
afterAll(async () => {
  await client.close();
  await emulator.close();
});

describe('runEnrichment', () => {
  it('summarizes a short text in one call', async () => {
    const result = await runEnrichment(target(128_000), { task: 'summary', text: 'Ada Lovelace wrote programs. She lived in London.' });
    expect(result.summary).toBe('Ada Lovelace wrote programs.');
    expect(result.entities).toBeUndefined();
    expect(result.usage.calls).toBe(1);
    expect(emulator.requests).toHaveLength(1);
  });

  it('map-reduces a long text with at most 4 calls at once, progress per call, usage summed', async () => {
    emulator.setBehavior({ provider: 'openai' }, { latencyMs: 40 });
    const progress: Array<{ done: number; total: number; stage: string }> = [];
    const result = await runEnrichment(target(), { task: 'enrich', text: longText(40), onProgress: (event) => progress.push(event) });
    const chunks = result.chunks;
    expect(chunks).toBeGreaterThan(4);
    // One summary and one entity call per chunk, plus at least one merge.
    expect(result.usage.calls).toBeGreaterThanOrEqual(2 * chunks + 1);
    expect(emulator.requests).toHaveLength(result.usage.calls);
    expect(emulator.peakInFlight()).toBeLessThanOrEqual(4);
    expect(emulator.peakInFlight()).toBeGreaterThan(1);
    expect(progress.map((event) => event.done)).toEqual(progress.map((_, index) => index + 1));
    expect(progress.at(-1)?.done).toBe(progress.at(-1)?.total);
    expect(new Set(progress.map((event) => event.stage))).toEqual(new Set(['summarize', 'merge', 'entities']));
    // Usage is the sum of what the emulator reported in each answer, every call counted once.
    const reported = emulator.reportedUsage;
    expect(reported).toHaveLength(result.usage.calls);
    const sum = (field: 'inputTokens' | 'outputTokens'): number => reported.reduce((total, usage) => total + usage[field], 0);
    // Far more than any one call reported: a sum, not the last or largest answer's count.
    expect(sum('inputTokens')).toBeGreaterThan(Math.max(...reported.map((usage) => usage.inputTokens)));
    expect(result.usage).toEqual({ inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), calls: reported.length });
    expect(result.summary).toContain('Chapter 0 opens here.');
    expect(result.entities).toContainEqual({ type: 'person', text: 'Marie Curie', count: 40 });
  });

  it('repairs invalid entity JSON once, then gives up on that chunk only', async () => {
    emulator.setBehavior({ key }, { invalidEntitiesFirst: 1 });
    const repaired = await runEnrichment(target(128_000), { task: 'entities', text: 'Marie Curie worked in Paris with Pierre Curie.' });
    expect(repaired.usage.calls).toBe(2);
    expect(repaired.unparsedEntityAnswers).toBe(0);
    expect(repaired.entities).toContainEqual({ type: 'person', text: 'Marie Curie', count: 1 });
    expect(emulator.requests[1]?.body).toContain('previous answer was not valid');

    emulator.reset();
    emulator.setBehavior({ key }, { invalidEntitiesFirst: 2 });
    const unrepaired = await runEnrichment(target(128_000), { task: 'entities', text: 'Marie Curie worked in Paris.' });
    expect(unrepaired.usage.calls).toBe(2);
    expect(unrepaired.unparsedEntityAnswers).toBe(1);
    expect(unrepaired.entities).toEqual([]);
  });

  it('a caller abort cancels the remaining provider calls', async () => {
    emulator.setBehavior({ provider: 'openai' }, { latencyMs: 200 });
    const controller = new AbortController();
    let firstProgressAt = 0;
    const pending = runEnrichment(target(), {
      task: 'summary',
      text: longText(60),
      signal: controller.signal,
      onProgress: () => {
        if (firstProgressAt === 0) {
          firstProgressAt = emulator.requests.length;
          controller.abort();
        }
      },
    });
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichmentFailure);
    expect((error as EnrichmentFailure).error.kind).toBe('aborted');
    const sent = emulator.requests.length;
    // Only the calls already on the wire when the abort came (at most 4) were sent.
    expect(sent).toBeLessThanOrEqual(firstProgressAt + 4);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(emulator.requests.length).toBe(sent);
    expect(emulator.inFlight()).toBe(0);
    // The answered call is still accounted for, so it can be billed.
    expect((error as EnrichmentFailure).usage.calls).toBeGreaterThanOrEqual(1);
  });

  it('the first failure cancels the rest and reports the provider error with usage so far', async () => {
    emulator.setBehavior({ provider: 'openai' }, { latencyMs: 30, serverError: 503, after: 6 });
    const error = await runEnrichment(target(), { task: 'summary', text: longText(60) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichmentFailure);
    expect((error as EnrichmentFailure).error.kind).toBe('server');
    const sent = emulator.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(emulator.requests.length).toBe(sent);
    // Six answered, the seventh failed; at most the three other calls in flight were also sent.
    expect(sent).toBeLessThanOrEqual(10);
    expect((error as EnrichmentFailure).usage.calls).toBeGreaterThanOrEqual(4);
  });

  it('counts the tokens of a prompt the provider blocked: the refusal was billed', async () => {
    const googleKey = new LeakCanary().key('google');
    emulator.addKey('google', googleKey);
    emulator.setBehavior({ provider: 'google' }, { blockPrompt: 'PROHIBITED_CONTENT' });
    const gemini: EnrichmentTarget = {
      adapter: adapters.forProvider('google'),
      call: { provider: 'google', model: 'gemini-2.0-flash', apiKey: googleKey, baseUrl: emulator.urls.google, allowedBaseUrls: [emulator.urls.google] },
      contextTokens: 128_000,
    };
    const error = await runEnrichment(gemini, { task: 'summary', text: 'Ada Lovelace wrote programs.' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichmentFailure);
    const failure = error as EnrichmentFailure;
    expect(failure.error.summary).toMatchObject({ kind: 'refused', providerCode: 'PROHIBITED_CONTENT', status: 200 });
    expect(failure.usage).toMatchObject({ calls: 1, outputTokens: 0 });
    expect(failure.usage.inputTokens).toBeGreaterThan(0);
  });

  it('tells the provider the context it chunked for (Ollama sizes its window by it)', async () => {
    const ollama: EnrichmentTarget = {
      adapter: adapters.forProvider('ollama'),
      call: { provider: 'ollama', model: 'llama3.2', apiKey: null, baseUrl: emulator.urls.ollama, allowedBaseUrls: [emulator.urls.ollama] },
      contextTokens: 16_384,
    };
    await runEnrichment(ollama, { task: 'summary', text: 'Ada Lovelace wrote programs.' });
    const sent = JSON.parse(emulator.requests[0]?.body ?? '{}') as { options?: { num_ctx?: number } };
    expect(sent.options?.num_ctx).toBe(16_384);
  });

  it('runs the builtin provider through the same pipeline, offline and free', async () => {
    const builtin: EnrichmentTarget = {
      adapter: adapters.forProvider('builtin'),
      call: { provider: 'builtin', model: 'builtin-extractive', apiKey: null, baseUrl: '', allowedBaseUrls: [] },
      contextTokens: getProvider('builtin').models[0]?.contextTokens ?? 1_000_000,
    };
    const result = await runEnrichment(builtin, { task: 'enrich', text: longText(5) });
    expect(result.summary?.length).toBeGreaterThan(0);
    expect(result.entities?.some((entity) => entity.text === 'Marie Curie')).toBe(true);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, calls: 2 });
    expect(emulator.requests).toHaveLength(0);
  });
});
