// The shared HTTP executor with answers the emulator does not give: model lists that echo the key,
// usage with a missing count, and Gemini's 200 answer to a blocked prompt.
import { describe, expect, it } from 'vitest';
import type { OutboundClient, OutboundResponse } from '../outbound/guarded-client';
import { geminiProtocol } from './gemini';
import { createHttpAdapter } from './http-adapter';
import { openAiChatProtocol } from './openai-chat';
import { ProviderError } from './provider-error';
import type { ProviderCall, Prompt } from './types';

const KEY = 'sk-canary-0123456789abcdefghijklmno';

/** An outbound client that answers every request with one 200 JSON body. */
function answering(body: unknown): OutboundClient {
  const response: OutboundResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return {
    request: () => Promise.resolve(response),
    checkTarget: () => Promise.resolve(),
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
    expect(error.kind).toBe('bad_request');
    expect(error.retryable).toBe(false);
    expect(error.summary).toEqual({
      provider: 'google',
      kind: 'bad_request',
      status: 200,
      providerCode: 'PROHIBITED_CONTENT',
      usage: { inputTokens: 9, outputTokens: 0 },
    });
    // Without a block reason, an answer with no candidates is still malformed.
    const empty = answering({ usageMetadata: { promptTokenCount: 9 } });
    expect((await failure(createHttpAdapter(geminiProtocol, empty).complete(call('google', 'gemini-2.5-flash'), PROMPT))).kind).toBe('malformed');
  });
});
