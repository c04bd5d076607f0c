// The builtin provider behind the same ProviderAdapter interface as the HTTP ones: it answers a
// prompt from its purpose and source text (extractive summary or entities JSON), with no key, no
// network and zero cost, so routing and enrichment treat it like any other provider.
import { ProviderError } from '../providers/provider-error';
import type { Completion, ProviderAdapter, ProviderCall, Prompt, VerifyResult } from '../providers/types';
import { extractEntitiesYielding } from './entity-extractor';
import { summarizeExtractive } from './extractive-summary';
import { nextTurn } from './turns';

export const BUILTIN_MODEL = 'builtin-extractive';

async function answer(prompt: Prompt, signal: AbortSignal | undefined): Promise<string> {
  switch (prompt.purpose) {
    case 'summary-chunk':
      return summarizeExtractive(prompt.source);
    case 'summary-merge':
      // Merging keeps more sentences: the input is already a selection of the best ones.
      return summarizeExtractive(prompt.source, { maxSentences: 8, maxChars: 1600 });
    case 'entities':
    case 'entities-repair':
      return JSON.stringify({ entities: await extractEntitiesYielding(prompt.source, signal) });
  }
}

export function createBuiltinAdapter(): ProviderAdapter {
  async function complete(call: ProviderCall, prompt: Prompt): Promise<Completion> {
    // A turn of the event loop first (turns.ts). The enrichment starts its next call as soon as one
    // settles; a network provider's I/O lets other requests in between, this provider's work would
    // not, and a whole document's calls would run as one stretch that stalls every other request.
    await nextTurn();
    const aborted = (): ProviderError => new ProviderError({ provider: 'builtin', kind: 'aborted' });
    if (call.signal?.aborted) throw aborted();
    let text: string;
    try {
      text = await answer(prompt, call.signal);
    } catch (error) {
      if (call.signal?.aborted) throw aborted();
      throw error;
    }
    // No model tokens are consumed offline; usage and cost are zero by definition.
    return { text, usage: { inputTokens: 0, outputTokens: 0 }, usageReported: true, finishReason: 'stop' };
  }

  async function verify(): Promise<VerifyResult> {
    return { status: 'valid', model: BUILTIN_MODEL, detail: 'offline built-in provider, no key needed' };
  }

  return { complete, verify };
}
