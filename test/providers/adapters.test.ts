// Every provider adapter against the emulator over real loopback HTTP: success with the exact
// usage the provider reported, key placement, and each failure mapped to one safe ProviderError
// that never carries the key, whatever the provider's error body echoed.
import { inspect } from 'node:util';
import { getProvider } from '@byok/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundClient, type OutboundClient } from '../../server/src/outbound/guarded-client';
import { ProviderError } from '../../server/src/providers/provider-error';
import { createProviderAdapters, type ProviderAdapters } from '../../server/src/providers/registry';
import type { ProviderCall } from '../../server/src/providers/types';
import { REASONING_HEADROOM_TOKENS } from '../../server/src/providers/wire-protocol';
import { summaryChunkPrompt, entitiesPrompt } from '../../server/src/enrichment/prompts';
import { startEmulator, EMULATED_PROVIDERS, type Emulator, type EmulatedProvider } from '../emulator';
import { countTokens } from '../emulator/content';
import { listedModelIds, PROTOCOL_OF } from '../emulator/protocols';
import { LeakCanary } from '../support/leak-canary';

const KEY_HEADER: Record<EmulatedProvider, string> = {
  openai: 'authorization',
  mistral: 'authorization',
  groq: 'authorization',
  'aleph-alpha': 'authorization',
  lmstudio: 'authorization',
  vllm: 'authorization',
  ollama: 'authorization',
  anthropic: 'x-api-key',
  google: 'x-goog-api-key',
  'azure-openai': 'api-key',
};

const TEXT = 'Ada Lovelace wrote the first program. It ran on the Analytical Engine.\n\nCharles Babbage designed the engine in London.';

let emulator: Emulator;
let client: OutboundClient;
let adapters: ProviderAdapters;
const keys = new Map<EmulatedProvider, string>();
const logs: string[] = [];
/** Every key used in this file, registered or not: none may appear in anything collected in `logs`. */
const canary = new LeakCanary();

function freshKey(provider: EmulatedProvider): string {
  return canary.key(provider);
}

/** Leak findings of `text` for one secret (a fresh canary scoped to it). */
function findLeaks(text: string, secrets: readonly string[]): string[] {
  const scoped = new LeakCanary();
  for (const secret of secrets) scoped.watch(secret);
  return scoped.scan([{ name: 'text', content: text }]).map((finding) => `${finding.encoding} in ${finding.where}`);
}

function callFor(provider: EmulatedProvider, overrides: Partial<ProviderCall> = {}): ProviderCall {
  const entry = getProvider(provider);
  return {
    provider,
    model: entry.defaultModel,
    apiKey: keys.get(provider) ?? null,
    baseUrl: emulator.urls[provider],
    allowedBaseUrls: [emulator.urls[provider]],
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    // Everything a log line or an error response could be built from.
    logs.push((error as Error).message, JSON.stringify(error), inspect(error, { depth: 5 }), String((error as Error).stack));
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

beforeAll(async () => {
  emulator = await startEmulator();
  client = createOutboundClient({ timeoutMs: 5_000 });
  adapters = createProviderAdapters(client);
  for (const provider of EMULATED_PROVIDERS) {
    const key = freshKey(provider);
    keys.set(provider, key);
    emulator.addKey(provider, key);
  }
});

afterAll(async () => {
  canary.assertClean([{ name: 'errors and verify results', content: logs.join('\n') }]);
  await client.close();
  await emulator.close();
});

describe.each(EMULATED_PROVIDERS)('%s adapter', (provider) => {
  const adapter = () => adapters.forProvider(provider);

  it('completes with exactly the usage the provider reported, the key only in its header', async () => {
    emulator.reset();
    const prompt = summaryChunkPrompt(TEXT, { index: 0, total: 1 });
    const completion = await adapter().complete(callFor(provider), prompt);
    expect(completion.text).toBe('Ada Lovelace wrote the first program. Charles Babbage designed the engine in London.');
    expect(completion.usageReported).toBe(true);
    expect(completion.usage).toEqual({
      inputTokens: countTokens(prompt.system) + countTokens(prompt.user),
      outputTokens: countTokens(completion.text),
    });
    const [request] = emulator.requests;
    const key = keys.get(provider) ?? '';
    expect(request?.provider).toBe(provider);
    const header = request?.headers[KEY_HEADER[provider]] ?? '';
    expect(header === key || header === `Bearer ${key}`).toBe(true);
    expect(findLeaks(request?.path ?? '', [key])).toEqual([]);
    expect(findLeaks(request?.body ?? '', [key])).toEqual([]);
    const otherHeaders = Object.entries(request?.headers ?? {}).filter(([name]) => name !== KEY_HEADER[provider]);
    expect(findLeaks(JSON.stringify(otherHeaders), [key])).toEqual([]);
  });

  it('asks for entities and gets JSON back', async () => {
    const completion = await adapter().complete(callFor(provider), entitiesPrompt(TEXT));
    const parsed = JSON.parse(completion.text) as { entities: Array<{ type: string; text: string }> };
    expect(parsed.entities).toContainEqual({ type: 'person', text: 'Charles Babbage' });
  });

  it('maps an unknown key to auth (401/403, Gemini 400 API_KEY_INVALID) without the key anywhere', async () => {
    emulator.setBehavior({ provider }, { echoKeyInError: true });
    const wrongKey = freshKey(provider);
    const error = await failure(adapter().complete(callFor(provider, { apiKey: wrongKey }), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.summary.status).toBe(provider === 'google' ? 400 : 401);
    if (provider === 'google') expect(error.summary.providerCode).toBe('API_KEY_INVALID');
    if (provider === 'anthropic') expect(error.summary.providerCode).toBe('authentication_error');
    if (provider === 'openai') expect(error.summary.providerCode).toBe('invalid_api_key');
    expect(findLeaks(JSON.stringify(error) + error.message + inspect(error), [wrongKey])).toEqual([]);
    emulator.setBehavior({ provider }, null);
  });

  it('maps 429 to rate_limit with retry-after, even when the body echoes the key', async () => {
    emulator.setBehavior({ provider }, { rateLimit: { retryAfterSeconds: 7 }, echoKeyInError: true });
    const error = await failure(adapter().complete(callFor(provider), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(error.kind).toBe('rate_limit');
    expect(error.retryable).toBe(true);
    expect(error.summary.retryAfterMs).toBe(7_000);
    emulator.setBehavior({ provider }, null);
  });

  it('maps 500 to server, with the echoed key dropped', async () => {
    emulator.setBehavior({ provider }, { serverError: 500, echoKeyInError: true });
    const error = await failure(adapter().complete(callFor(provider), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(error.kind).toBe('server');
    expect(error.summary.status).toBe(500);
    expect(error.retryable).toBe(true);
    emulator.setBehavior({ provider }, null);
  });

  it('maps a slow provider to timeout', async () => {
    emulator.setBehavior({ provider }, { latencyMs: 1_500 });
    const error = await failure(adapter().complete(callFor(provider, { timeoutMs: 150 }), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(error.kind).toBe('timeout');
    emulator.setBehavior({ provider }, null);
  });

  it('maps invalid JSON, a wrong shape and a truncated body to malformed/unreachable', async () => {
    emulator.setBehavior({ provider }, { malformedJson: true });
    expect((await failure(adapter().complete(callFor(provider), summaryChunkPrompt(TEXT, { index: 0, total: 1 })))).kind).toBe('malformed');
    emulator.setBehavior({ provider }, { wrongShape: true });
    expect((await failure(adapter().complete(callFor(provider), summaryChunkPrompt(TEXT, { index: 0, total: 1 })))).kind).toBe('malformed');
    emulator.setBehavior({ provider }, { truncatedBody: true });
    expect((await failure(adapter().complete(callFor(provider), summaryChunkPrompt(TEXT, { index: 0, total: 1 })))).kind).toBe('unreachable');
    emulator.setBehavior({ provider }, { drop: true });
    expect((await failure(adapter().complete(callFor(provider), summaryChunkPrompt(TEXT, { index: 0, total: 1 })))).kind).toBe('unreachable');
    emulator.setBehavior({ provider }, null);
  });

  it("maps a content filter's refusal of the prompt, and of the answer, to refused with the billed tokens", async () => {
    const prompt = summaryChunkPrompt(TEXT, { index: 0, total: 1 });
    const promptTokens = countTokens(prompt.system) + countTokens(prompt.user);
    emulator.setBehavior({ provider }, { blockPrompt: 'PROHIBITED_CONTENT' });
    if (provider === 'ollama') {
      // Ollama has no content filter: the knob does nothing there.
      expect((await adapter().complete(callFor(provider), prompt)).text.length).toBeGreaterThan(0);
    } else {
      const blocked = await failure(adapter().complete(callFor(provider), prompt));
      expect(blocked.kind).toBe('refused');
      expect(blocked.retryable).toBe(false);
      const byProtocol = {
        google: { status: 200, providerCode: 'PROHIBITED_CONTENT', usage: { inputTokens: promptTokens, outputTokens: 0 } },
        anthropic: { status: 200, providerCode: 'refusal', usage: { inputTokens: promptTokens, outputTokens: 0 } },
      } as const;
      expect(blocked.summary).toMatchObject(provider === 'google' || provider === 'anthropic' ? byProtocol[provider] : { status: 400, providerCode: 'content_filter' });
    }
    emulator.setBehavior({ provider }, { filterAnswer: true });
    if (provider === 'ollama') {
      expect((await adapter().complete(callFor(provider), prompt)).text.length).toBeGreaterThan(0);
    } else {
      const filtered = await failure(adapter().complete(callFor(provider), prompt));
      expect(filtered.kind).toBe('refused');
      expect(filtered.summary.status).toBe(200);
      expect(filtered.summary.providerCode).toBe(provider === 'google' ? 'SAFETY' : provider === 'anthropic' ? 'refusal' : 'content_filter');
      // The few words before the cut are billed, and not returned.
      expect(filtered.summary.usage).toEqual({ inputTokens: promptTokens, outputTokens: countTokens('Ada Lovelace wrote') });
    }
    emulator.setBehavior({ provider }, null);
  });

  it('maps an answer with no text (a reasoning model that thought through its whole budget) to malformed, its tokens billed', async () => {
    const prompt = summaryChunkPrompt(TEXT, { index: 0, total: 1 });
    emulator.setBehavior({ provider }, { exhaustBudget: true });
    const empty = await failure(adapter().complete(callFor(provider), prompt));
    emulator.setBehavior({ provider }, null);
    expect(empty.kind).toBe('malformed');
    expect(empty.retryable).toBe(true);
    // Billed for the whole budget it asked for: the prompt's own, plus headroom for Gemini's default
    // (a Gemini 3 model, which thinks).
    const budget = prompt.maxOutputTokens + (provider === 'google' ? REASONING_HEADROOM_TOKENS : 0);
    expect(empty.summary.usage).toEqual({ inputTokens: countTokens(prompt.system) + countTokens(prompt.user), outputTokens: budget });
  });

  it('verifies: valid for a known key, invalid for an unknown one, unreachable on 5xx', async () => {
    const valid = await adapter().verify(callFor(provider));
    expect(valid.status).toBe('valid');
    // The whole list is read, not its first page: the default model is found among the others.
    expect(valid.model).toBe(getProvider(provider).defaultModel);
    const listed = listedModelIds(PROTOCOL_OF[provider], getProvider(provider).models.map((model) => model.id));
    expect(valid.detail).toBe(`the key works; ${listed.length} models visible`);
    const invalid = await adapter().verify(callFor(provider, { apiKey: freshKey(provider) }));
    expect(invalid.status).toBe('invalid');
    emulator.setBehavior({ provider }, { serverError: 503 });
    expect((await adapter().verify(callFor(provider))).status).toBe('unreachable');
    emulator.setBehavior({ provider }, null);
    logs.push(JSON.stringify([valid, invalid]));
  });
});

describe('verify with a restricted key', () => {
  it('an OpenAI key that may chat but not list models is valid, checked with one token of chat; an invalid one stays invalid', async () => {
    emulator.reset();
    emulator.setBehavior({ provider: 'openai' }, { modelsScopeDenied: true });
    try {
      const restricted = await adapters.forProvider('openai').verify(callFor('openai'));
      expect(restricted).toMatchObject({ status: 'valid', detail: 'the key works for chat; it may not list models' });
      expect(emulator.requests.map((request) => `${request.method} ${request.path.replace(/^.*\/v1\//, '/v1/')}`)).toEqual(['GET /v1/models', 'POST /v1/chat/completions']);
      expect((JSON.parse(emulator.requests[1]?.body ?? '{}') as { max_completion_tokens: number }).max_completion_tokens).toBe(1);
      // A key the provider does not know is refused at the chat step too.
      const unknown = await adapters.forProvider('openai').verify(callFor('openai', { apiKey: freshKey('openai') }));
      expect(unknown.status).toBe('invalid');
    } finally {
      emulator.setBehavior({ provider: 'openai' }, null);
    }
  });
});

describe("Gemini's rate limit", () => {
  it('takes the delay from the RetryInfo in the 429 body, which has no retry-after header, capped at 1 h', async () => {
    emulator.reset();
    const prompt = summaryChunkPrompt(TEXT, { index: 0, total: 1 });
    try {
      emulator.setBehavior({ provider: 'google' }, { rateLimit: { retryAfterSeconds: 1.5 }, echoKeyInError: true });
      const limited = await failure(adapters.forProvider('google').complete(callFor('google'), prompt));
      // The whole summary: no message text (it quoted the key), only the code and the delay.
      expect(limited.summary).toEqual({ provider: 'google', kind: 'rate_limit', status: 429, providerCode: 'RESOURCE_EXHAUSTED', retryAfterMs: 1_500 });
      emulator.setBehavior({ provider: 'google' }, { rateLimit: { retryAfterSeconds: 86_400 } });
      expect((await failure(adapters.forProvider('google').complete(callFor('google'), prompt))).summary.retryAfterMs).toBe(3_600_000);
    } finally {
      emulator.setBehavior({ provider: 'google' }, null);
    }
  });
});

describe('key placement details', () => {
  it('Gemini never puts the key in the URL', async () => {
    emulator.reset();
    await adapters.forProvider('google').complete(callFor('google'), summaryChunkPrompt(TEXT, { index: 0, total: 1 }));
    await adapters.forProvider('google').verify(callFor('google'));
    for (const request of emulator.requests) expect(request.path).not.toMatch(/[?&]key=/);
  });

  it('Azure sends api-key, the deployment path and api-version', async () => {
    emulator.reset();
    await adapters.forProvider('azure-openai').complete(callFor('azure-openai', { model: 'gpt-4o' }), summaryChunkPrompt(TEXT, { index: 0, total: 1 }));
    expect(emulator.requests[0]?.path).toBe('/azure/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(emulator.requests[0]?.headers['authorization']).toBeUndefined();
  });

  it("Azure sends the operator's api-version (BYOK_AZURE_API_VERSION), for calls and verify alike", async () => {
    emulator.reset();
    const preview = createProviderAdapters(client, { azureApiVersion: '2025-04-01-preview' }).forProvider('azure-openai');
    await preview.complete(callFor('azure-openai', { model: 'o3-mini' }), summaryChunkPrompt(TEXT, { index: 0, total: 1 }));
    await preview.verify(callFor('azure-openai', { model: 'o3-mini' }));
    expect(emulator.requests.map((request) => request.path)).toEqual([
      '/azure/openai/deployments/o3-mini/chat/completions?api-version=2025-04-01-preview',
      '/azure/openai/models?api-version=2025-04-01-preview',
    ]);
  });

  it('Aleph Alpha verifies against its model list at /model-settings, and chats at /chat/completions', async () => {
    emulator.reset();
    const aleph = adapters.forProvider('aleph-alpha');
    await aleph.complete(callFor('aleph-alpha'), summaryChunkPrompt(TEXT, { index: 0, total: 1 }));
    expect(await aleph.verify(callFor('aleph-alpha'))).toMatchObject({ status: 'valid', model: getProvider('aleph-alpha').defaultModel });
    expect(emulator.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /aleph-alpha/chat/completions', 'GET /aleph-alpha/model-settings']);
    expect(emulator.requests[1]?.headers['authorization']).toBe(`Bearer ${callFor('aleph-alpha').apiKey}`);
    // A requested model the list lacks is answered with a model the chat endpoint serves, never the embedding model listed first.
    const unlisted = await aleph.verify(callFor('aleph-alpha', { model: 'not-a-listed-model' }));
    expect(unlisted).toMatchObject({ status: 'valid', model: getProvider('aleph-alpha').models[0]?.id });
  });

  it('a keyless local provider (ollama) works without any auth header', async () => {
    emulator.reset();
    const local = await startEmulator();
    try {
      const completion = await adapters.forProvider('ollama').complete(
        { provider: 'ollama', model: 'llama3.2', apiKey: null, baseUrl: local.urls.ollama, allowedBaseUrls: [local.urls.ollama] },
        summaryChunkPrompt(TEXT, { index: 0, total: 1 }),
      );
      expect(completion.text.length).toBeGreaterThan(0);
      expect(local.requests[0]?.headers['authorization']).toBeUndefined();
    } finally {
      await local.close();
    }
  });

  it('a hung provider times out and a huge body is refused past the size limit', async () => {
    emulator.setBehavior({ provider: 'openai' }, { hang: true });
    const hung = await failure(adapters.forProvider('openai').complete(callFor('openai', { timeoutMs: 200 }), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(hung.kind).toBe('timeout');
    emulator.setBehavior({ provider: 'openai' }, { hugeBodyBytes: 9 * 1024 * 1024 });
    const huge = await failure(adapters.forProvider('openai').complete(callFor('openai'), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(huge.kind).toBe('malformed');
    expect(huge.summary.detail).toBe('too_large');
    emulator.setBehavior({ provider: 'openai' }, { serverError: 502, times: 1 });
    await failure(adapters.forProvider('openai').complete(callFor('openai'), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    // `times: 1`: the next call succeeds.
    await expect(adapters.forProvider('openai').complete(callFor('openai'), summaryChunkPrompt(TEXT, { index: 0, total: 1 }))).resolves.toMatchObject({ usageReported: true });
    emulator.setBehavior({ provider: 'openai' }, null);
  });

  it('without the base URL in the allow-list, the loopback emulator is unreachable (blocked)', async () => {
    const error = await failure(adapters.forProvider('openai').complete(callFor('openai', { allowedBaseUrls: [] }), summaryChunkPrompt(TEXT, { index: 0, total: 1 })));
    expect(error.kind).toBe('unreachable');
    expect(error.summary.detail).toBe('blocked_address');
  });
});
