// What each protocol asks for as the output budget: reasoning models get headroom for the thinking
// that counts against the same limit, Gemini 2.5 Flash has thinking off, Ollama gets the context
// the input was chunked for. (Against the emulator, test/providers/adapters.test.ts checks what an
// exhausted budget does.)
import { describe, expect, it } from 'vitest';
import { geminiProtocol } from './gemini';
import { ollamaChatProtocol } from './ollama-chat';
import { chatRequestBody, parseChatCompletion } from './openai-chat';
import type { ProviderCall, Prompt } from './types';
import { REASONING_HEADROOM_TOKENS } from './wire-protocol';

const PROMPT: Prompt = { purpose: 'summary-chunk', system: 'Summarize.', user: 'Some text.', source: 'Some text.', maxOutputTokens: 512, json: false };

function call(provider: ProviderCall['provider'], model: string, extra: Partial<ProviderCall> = {}): ProviderCall {
  return { provider, model, apiKey: 'k', baseUrl: 'https://provider.test', allowedBaseUrls: [], ...extra };
}

function bodyOf(spec: { body?: string }): Record<string, unknown> {
  return JSON.parse(spec.body ?? '{}') as Record<string, unknown>;
}

describe('output budgets', () => {
  it.each([
    ['openai', 'gpt-4o-mini', 'max_completion_tokens', 512],
    ['openai', 'gpt-5-mini', 'max_completion_tokens', 512 + REASONING_HEADROOM_TOKENS],
    ['openai', 'o4-mini', 'max_completion_tokens', 512 + REASONING_HEADROOM_TOKENS],
    ['groq', 'openai/gpt-oss-120b', 'max_tokens', 512 + REASONING_HEADROOM_TOKENS],
    ['groq', 'llama-3.3-70b-versatile', 'max_tokens', 512],
  ] as const)('%s %s asks for %s = %i', (provider, model, field, expected) => {
    const body = chatRequestBody(call(provider, model), PROMPT, true);
    expect(body[field]).toBe(expected);
  });

  it.each([
    ['gemini-2.5-flash', { maxOutputTokens: 512, thinkingConfig: { thinkingBudget: 0 } }],
    ['gemini-2.5-flash-lite', { maxOutputTokens: 512, thinkingConfig: { thinkingBudget: 0 } }],
    ['gemini-2.0-flash', { maxOutputTokens: 512 }],
    ['gemini-2.5-pro', { maxOutputTokens: 512 + REASONING_HEADROOM_TOKENS }],
    ['gemini-3-flash-preview', { maxOutputTokens: 512 + REASONING_HEADROOM_TOKENS, thinkingConfig: { thinkingLevel: 'low' } }],
  ] as const)('Gemini %s', (model, expected) => {
    const config = bodyOf(geminiProtocol.buildCompletion(call('google', model), PROMPT)).generationConfig as Record<string, unknown>;
    expect({ maxOutputTokens: config.maxOutputTokens, ...(config.thinkingConfig === undefined ? {} : { thinkingConfig: config.thinkingConfig }) }).toEqual(expected);
  });

  it('asks Ollama for the context the input was chunked for', () => {
    const options = (spec: { body?: string }) => bodyOf(spec).options as Record<string, unknown>;
    expect(options(ollamaChatProtocol.buildCompletion(call('ollama', 'llama3.2', { contextTokens: 32_768 }), PROMPT))).toMatchObject({ num_ctx: 32_768, num_predict: 512 });
    expect(options(ollamaChatProtocol.buildCompletion(call('ollama', 'llama3.2'), PROMPT)).num_ctx).toBe(8_192);
  });

  it('keeps only the text parts of an OpenAI-compatible answer', () => {
    const parsed = parseChatCompletion({ choices: [{ message: { content: [{ type: 'text', text: 'A summary.' }, { type: 'image_url', text: 'not this' }] }, finish_reason: 'stop' }] });
    expect(parsed).toMatchObject({ text: 'A summary.' });
  });
});
