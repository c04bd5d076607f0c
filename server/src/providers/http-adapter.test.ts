// The shared HTTP executor with answers the emulator does not give: model lists that echo the key,
// usage with a missing count, Gemini's 200 answer to a blocked prompt, OpenAI's refusal field, and
// Gemini 429s with a retry-after header or a broken RetryInfo.
import { describe, expect, it } from 'vitest';
import type { OutboundClient, OutboundResponse } from '../outbound/guarded-client';
import { geminiProtocol } from './gemini';
import { createHttpAdapter } from './http-adapter';
import { openAiChatProtocol } from './openai-chat';
import { ProviderError } from './provider-error';
import { MAX_REPORTED_TOKENS, type ProviderCall, type Prompt } from './types';

const KEY = 'sk-canary-0123456789abcdefghijklmno';

/** An outbound client that answers every request with one JSON body (200 unless told). */
function answering(body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): OutboundClient {
  const response: OutboundResponse = { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
  return {
    request: () => Promise.resolve(response),
    checkTarget: () => Promise.resolve(),
    totals: () => ({ active: 0, waiting: 0, waits: { placed: 0, gaveUp: 0, busy: 0 } }),
    close: () => Promise.resolve(),
  };
}

function call(provider: ProviderCall['provider'], model: string): ProviderCall {
  return { provider, model, apiKey: KEY, baseUrl: 'https://provider.test/v1', allowedBaseUrls: [] };
}

const PROMPT: Prompt = { purpose: 'summary-chunk', system: 'Summarize.', user: 'Some text.', source: 'Some text.', maxOutputTokens: 64, json: false };

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

describe('verify with a model list that is not safe to echo', () => {
  it.each([
    ['the key itself', KEY],
    ['a run of the key', `ft:${KEY.slice(10, 22)}`],
    ['free text', 'not a model id'],
    ['an overlong id', `m${'x'.repeat(200)}`],
  ])('falls back to the requested model instead of %s', async (_name, listed) => {
    const adapter = createHttpAdapter(openAiChatProtocol, answering({ object: 'list', data: [{ id: listed }, { id: 'gpt-4o' }] }));
    const result = await adapter.verify(call('openai', 'gpt-4o-mini'));
    expect(result.status).toBe('valid');
    expect(result.model).toBe('gpt-4o-mini');
    expect(JSON.stringify(result)).not.toContain(KEY.slice(10, 18));
    // A plausible listed id still stands in for an unlisted requested model.
    const plausible = createHttpAdapter(openAiChatProtocol, answering({ object: 'list', data: [{ id: 'meta-llama/Llama-3.1-8B-Instruct' }, { id: listed }] }));
    expect((await plausible.verify(call('vllm', 'qwen2.5-7b-instruct'))).model).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });
});

describe('usage with a missing count', () => {
  it.each([
    [{ prompt_tokens: 12 }, { inputTokens: 12, outputTokens: 0 }],
    [{ completion_tokens: 5 }, { inputTokens: 0, outputTokens: 5 }],
    [{ prompt_tokens: 12, completion_tokens: null }, { inputTokens: 12, outputTokens: 0 }],
  ])('keeps the reported count of %j and counts the missing one as 0', async (usage, expected) => {
    const body = { id: 'chatcmpl-1', choices: [{ message: { content: 'A summary.' }, finish_reason: 'stop' }], usage };
    const completion = await createHttpAdapter(openAiChatProtocol, answering(body)).complete(call('openai', 'gpt-4o-mini'), PROMPT);
    expect(completion.text).toBe('A summary.');
    expect(completion.usage).toEqual(expected);
    expect(completion.usageReported).toBe(true);
  });
});

describe('a Gemini prompt blocked by the provider', () => {
  it('is a definite, non-retryable refusal that keeps the reported usage', async () => {
    const body = {
      promptFeedback: { blockReason: 'PROHIBITED_CONTENT', safetyRatings: [] },
      usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
      modelVersion: 'gemini-2.5-flash',
    };
    const error = await failure(createHttpAdapter(geminiProtocol, answering(body)).complete(call('google', 'gemini-2.5-flash'), PROMPT));
    expect(error.kind).toBe('refused');
    expect(error.retryable).toBe(false);
    expect(error.summary).toEqual({
      provider: 'google',
      kind: 'refused',
      status: 200,
      providerCode: 'PROHIBITED_CONTENT',
      usage: { inputTokens: 9, outputTokens: 0 },
    });
    // A token count past any context (an endpoint reporting what it likes) is a malformed answer:
    // usage sums must not overflow.
    for (const [protocol, body, provider, model] of [
      [openAiChatProtocol, { choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: Number.MAX_SAFE_INTEGER, completion_tokens: 1 } }, 'openai', 'gpt-4o-mini'],
      [geminiProtocol, { candidates: [{ content: { parts: [{ text: 'ok' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: MAX_REPORTED_TOKENS + 1 } }, 'google', 'gemini-2.5-flash'],
    ] as const) {
      expect((await failure(createHttpAdapter(protocol, answering(body)).complete(call(provider, model), PROMPT))).kind).toBe('malformed');
    }
    // Without a block reason, an answer with no candidates is still malformed.
    const empty = answering({ usageMetadata: { promptTokenCount: 9 } });
    expect((await failure(createHttpAdapter(geminiProtocol, empty).complete(call('google', 'gemini-2.5-flash'), PROMPT))).kind).toBe('malformed');
  });
});

describe('refusals the emulator does not give', () => {
  it("an OpenAI answer with a refusal and no content is refused; a refusal beside content is an answer", async () => {
    const refusal = { choices: [{ message: { content: null, refusal: 'I cannot help with that.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 7, completion_tokens: 6 } };
    const error = await failure(createHttpAdapter(openAiChatProtocol, answering(refusal)).complete(call('openai', 'gpt-4o-mini'), PROMPT));
    expect(error.summary).toEqual({ provider: 'openai', kind: 'refused', status: 200, providerCode: 'refusal', usage: { inputTokens: 7, outputTokens: 6 } });
    // The refusal text itself is not kept anywhere.
    expect(JSON.stringify(error) + error.message).not.toContain('cannot help');
    const both = { choices: [{ message: { content: 'A summary.', refusal: 'partial' }, finish_reason: 'stop' }] };
    expect((await createHttpAdapter(openAiChatProtocol, answering(both)).complete(call('openai', 'gpt-4o-mini'), PROMPT)).text).toBe('A summary.');
  });

  it.each(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII'])('a Gemini candidate that finished with %s is refused, its partial text dropped', async (finishReason) => {
    const body = { candidates: [{ content: { parts: [{ text: 'The first' }] }, finishReason }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2 } };
    const error = await failure(createHttpAdapter(geminiProtocol, answering(body)).complete(call('google', 'gemini-2.5-flash'), PROMPT));
    expect(error.summary).toMatchObject({ kind: 'refused', providerCode: finishReason, usage: { inputTokens: 9, outputTokens: 2 } });
    // Other finish reasons are answers (MAX_TOKENS: a summary cut at the budget is still one).
    const cut = { candidates: [{ content: { parts: [{ text: 'The first' }] }, finishReason: 'MAX_TOKENS' }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2 } };
    expect((await createHttpAdapter(geminiProtocol, answering(cut)).complete(call('google', 'gemini-2.5-flash'), PROMPT)).text).toBe('The first');
  });

  it('a Gemini candidate stopped for RECITATION before any text is no answer, and keeps the tokens billed for it', async () => {
    // No refusal of the text (another provider may not recite): malformed, so the route moves on.
    const recited = { candidates: [{ content: { parts: [] }, finishReason: 'RECITATION' }], usageMetadata: { promptTokenCount: 9, thoughtsTokenCount: 4 } };
    const recitation = await failure(createHttpAdapter(geminiProtocol, answering(recited)).complete(call('google', 'gemini-2.5-flash'), PROMPT));
    expect(recitation.retryable).toBe(true);
    expect(recitation.summary).toEqual({ provider: 'google', kind: 'malformed', status: 200, detail: 'empty answer', usage: { inputTokens: 9, outputTokens: 4 } });
    // With only a thought written, still no answer.
    const thought = { candidates: [{ content: { parts: [{ text: 'Hmm.', thought: true }] }, finishReason: 'RECITATION' }], usageMetadata: { promptTokenCount: 9 } };
    expect((await failure(createHttpAdapter(geminiProtocol, answering(thought)).complete(call('google', 'gemini-2.5-flash'), PROMPT))).summary).toMatchObject({ kind: 'malformed', usage: { inputTokens: 9, outputTokens: 0 } });
  });
});

describe('a Gemini 429 the emulator does not give', () => {
  /** Gemini's 429 body, its message quoting the key, with these details. */
  function exhausted(details: unknown): unknown {
    return { error: { code: 429, message: `Quota exceeded for ${KEY}. Please retry in 37s.`, status: 'RESOURCE_EXHAUSTED', details } };
  }
  const retryInfo = (retryDelay: unknown) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });

  it('takes a retry-after header over the RetryInfo in the body', async () => {
    const client = answering(exhausted([retryInfo('37s')]), 429, { 'retry-after': '3' });
    const error = await failure(createHttpAdapter(geminiProtocol, client).complete(call('google', 'gemini-2.5-flash'), PROMPT));
    expect(error.summary).toEqual({ provider: 'google', kind: 'rate_limit', status: 429, providerCode: 'RESOURCE_EXHAUSTED', retryAfterMs: 3_000 });
  });

  it.each([
    ['a delay that is no Duration', [retryInfo('soon')]],
    ['a negative delay', [retryInfo('-5s')]],
    ['a number of seconds', [retryInfo(37)]],
    ['a delay that quotes the key', [retryInfo(`${KEY}s`)]],
    ['a retryDelay outside a RetryInfo', [{ '@type': 'type.googleapis.com/google.rpc.Help', retryDelay: '37s' }]],
    ['details that are no list', { retryDelay: '37s' }],
  ])('is a rate limit with no delay for %s, the message dropped', async (_name, details) => {
    const error = await failure(createHttpAdapter(geminiProtocol, answering(exhausted(details), 429)).complete(call('google', 'gemini-2.5-flash'), PROMPT));
    expect(error.kind).toBe('rate_limit');
    expect(error.summary.retryAfterMs).toBeUndefined();
    expect(JSON.stringify(error) + error.message).not.toContain(KEY.slice(10, 18));
    expect(JSON.stringify(error) + error.message).not.toContain('retry in');
  });
});
