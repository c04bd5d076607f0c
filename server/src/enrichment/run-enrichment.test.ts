// Which failure a multi-chunk run reports when its calls fail differently. The provider here is a
// scripted ProviderAdapter (the boundary to the network; the adapters themselves are tested
// against the emulator), so that the order in which answers arrive is exact.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/provider-error';
import type { Completion, ProviderAdapter, ProviderCall, Prompt } from '../providers/types';
import { EnrichmentFailure, runEnrichment } from './run-enrichment';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers each prompt after `plan(prompt).ms` with the planned failure (or a one-line answer). */
function scripted(plan: (prompt: Prompt) => { ms: number; fail?: ProviderError }): ProviderAdapter {
  return {
    async complete(_call: ProviderCall, prompt: Prompt): Promise<Completion> {
      const { ms, fail } = plan(prompt);
      await sleep(ms);
      if (fail) throw fail;
      return { text: 'A summary.', usage: { inputTokens: 10, outputTokens: 3 }, usageReported: true, finishReason: 'stop' };
    },
    verify: () => Promise.reject(new Error('not used')),
  };
}

const CALL = { provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-test', baseUrl: 'https://provider.test/v1', allowedBaseUrls: [], timeoutMs: 5_000 } as const;
/** Two chunks at the smallest context: the second paragraph starts the second chunk. */
const TEXT = `${'First part. '.repeat(700)}\n\n${'Second part. '.repeat(700)}`;

describe('runEnrichment failures', () => {
  it('reports a content refusal even when another chunk failed first with a retryable error', async () => {
    const refused = new ProviderError({ provider: 'openai', kind: 'refused', status: 200, providerCode: 'content_filter', usage: { inputTokens: 100, outputTokens: 3 } });
    const unavailable = new ProviderError({ provider: 'openai', kind: 'server', status: 503 });
    let refusals = 0;
    const adapter = scripted((prompt) => {
      if (!prompt.source.startsWith('First')) return { ms: 5, fail: unavailable };
      refusals += 1;
      return { ms: 40, fail: refused };
    });
    const error = await runEnrichment({ adapter, call: CALL, contextTokens: 4_000 }, { task: 'summary', text: TEXT }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnrichmentFailure);
    const failure = error as EnrichmentFailure;
    // Before, the 503 that came first was reported and the route moved the text on to the next provider.
    expect(failure.error.kind).toBe('refused');
    expect(refusals).toBeGreaterThan(0);
    // Every refusal was billed and is counted; the 503s carry no usage.
    expect(failure.usage).toEqual({ inputTokens: 100 * refusals, outputTokens: 3 * refusals, calls: refusals });
  });

  it('reports the first failure when no call was refused', async () => {
    const limited = new ProviderError({ provider: 'openai', kind: 'rate_limit', status: 429 });
    const unavailable = new ProviderError({ provider: 'openai', kind: 'server', status: 503 });
    const adapter = scripted((prompt) => (prompt.source.startsWith('First') ? { ms: 40, fail: unavailable } : { ms: 5, fail: limited }));
    const error = (await runEnrichment({ adapter, call: CALL, contextTokens: 4_000 }, { task: 'summary', text: TEXT }).catch((caught: unknown) => caught)) as EnrichmentFailure;
    expect(error.error.kind).toBe('rate_limit');
  });
});
