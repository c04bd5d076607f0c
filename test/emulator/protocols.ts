// Wire formats of each emulated protocol: where the key is read from, the success bodies (with usage
// computed from the input), model lists, and the providers' real error bodies.
import { answerFor, countTokens } from './content';
import type { EmulatedProvider } from './types';

export type Protocol = 'openai' | 'anthropic' | 'gemini' | 'ollama' | 'azure';

export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export const PROTOCOL_OF: Record<EmulatedProvider, Protocol> = {
  openai: 'openai',
  mistral: 'openai',
  groq: 'openai',
  'aleph-alpha': 'openai',
  lmstudio: 'openai',
  vllm: 'openai',
  anthropic: 'anthropic',
  google: 'gemini',
  ollama: 'ollama',
  'azure-openai': 'azure',
};

/** The key as the provider reads it; `null` when none was presented. */
export function presentedKey(protocol: Protocol, headers: Record<string, string>, url: URL): string | null {
  switch (protocol) {
    case 'openai':
    case 'ollama': {
      const match = /^Bearer (.+)$/.exec(headers['authorization'] ?? '');
      return match?.[1] ?? null;
    }
    case 'anthropic':
      return headers['x-api-key'] ?? null;
    case 'gemini':
      // The real API also takes ?key=; the emulator accepts it so tests can prove we never use it.
      return headers['x-goog-api-key'] ?? url.searchParams.get('key');
    case 'azure':
      return headers['api-key'] ?? null;
  }
}

function quoted(key: string | null, echo: boolean, masked: string): string {
  if (!echo || key === null) return masked;
  return key;
}

export function authErrorReply(provider: EmulatedProvider, key: string | null, echo: boolean): JsonReply {
  const shown = quoted(key, echo, key === null ? '' : `${key.slice(0, 3)}***${key.slice(-4)}`);
  switch (PROTOCOL_OF[provider]) {
    case 'openai':
      if (provider === 'mistral') return { status: 401, body: { message: echo ? `Unauthorized: ${shown}` : 'Unauthorized', request_id: 'emu' } };
      return {
        status: 401,
        body: {
          error: {
            message: key === null ? 'You didn\'t provide an API key.' : `Incorrect API key provided: ${shown}.`,
            type: 'invalid_request_error',
            param: echo ? key : null,
            code: 'invalid_api_key',
          },
        },
      };
    case 'anthropic':
      return { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: echo ? `invalid x-api-key ${shown}` : 'invalid x-api-key' } } };
    case 'gemini':
      if (key === null) {
        return { status: 403, body: { error: { code: 403, message: "Method doesn't allow unregistered callers.", status: 'PERMISSION_DENIED' } } };
      }
      return {
        status: 400,
        body: {
          error: {
            code: 400,
            message: echo ? `API key not valid: ${shown}` : 'API key not valid. Please pass a valid API key.',
            status: 'INVALID_ARGUMENT',
            details: [
              { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
              { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
            ],
          },
        },
      };
    case 'ollama':
      return { status: 401, body: { error: echo ? `unauthorized ${shown}` : 'unauthorized' } };
    case 'azure':
      return {
        status: 401,
        body: {
          error: {
            code: '401',
            message: `Access denied due to invalid subscription key or wrong API endpoint.${echo ? ` Key: ${shown}` : ''} Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.`,
          },
        },
      };
  }
}

export function rateLimitReply(provider: EmulatedProvider, retryAfterSeconds: number, key: string | null, echo: boolean): JsonReply {
  const headers = { 'retry-after': String(retryAfterSeconds) };
  const tail = echo && key !== null ? ` (key ${key})` : '';
  switch (PROTOCOL_OF[provider]) {
    case 'openai':
      return { status: 429, headers, body: { error: { message: `Rate limit reached for requests${tail}.`, type: 'requests', param: null, code: 'rate_limit_exceeded' } } };
    case 'anthropic':
      return { status: 429, headers, body: { type: 'error', error: { type: 'rate_limit_error', message: `Number of requests has exceeded your rate limit${tail}.` } } };
    case 'gemini':
      // No retry-after header: Gemini gives the delay only in the body, as RetryInfo's protobuf Duration.
      return {
        status: 429,
        body: {
          error: {
            code: 429,
            message: `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in ${retryAfterSeconds}s${tail}.`,
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                    quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                    quotaDimensions: { location: 'global' },
                    quotaValue: '10',
                  },
                ],
              },
              { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
            ],
          },
        },
      };
    case 'ollama':
      return { status: 429, headers, body: { error: `too many requests${tail}` } };
    case 'azure':
      return { status: 429, headers, body: { error: { code: '429', message: `Requests have exceeded the rate limit. Please retry after ${retryAfterSeconds} seconds${tail}.` } } };
  }
}

export function serverErrorReply(provider: EmulatedProvider, status: number, key: string | null, echo: boolean): JsonReply {
  const tail = echo && key !== null ? ` Request made with ${key}.` : '';
  switch (PROTOCOL_OF[provider]) {
    case 'openai':
      return { status, body: { error: { message: `The server had an error while processing your request.${tail}`, type: 'server_error', param: null, code: null } } };
    case 'anthropic':
      return { status, body: { type: 'error', error: { type: status === 529 ? 'overloaded_error' : 'api_error', message: `Internal server error${tail}` } } };
    case 'gemini':
      return { status, body: { error: { code: status, message: `An internal error has occurred.${tail}`, status: status === 503 ? 'UNAVAILABLE' : 'INTERNAL' } } };
    case 'ollama':
      return { status, body: { error: `internal error${tail}` } };
    case 'azure':
      return { status, body: { error: { code: 'InternalServerError', message: `The service is temporarily unable to process your request.${tail}` } } };
  }
}

interface ChatInput {
  readonly model: string;
  readonly system: string;
  readonly user: string;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => String(asRecord(part).text ?? '')).join('');
  return '';
}

/** The output budget a request asked for, in each protocol's own field (0 when it set none). */
export function requestedOutputTokens(protocol: Protocol, body: unknown): number {
  const record = asRecord(body);
  const value =
    protocol === 'gemini'
      ? asRecord(record.generationConfig).maxOutputTokens
      : protocol === 'ollama'
        ? asRecord(record.options).num_predict
        : (record.max_completion_tokens ?? record.max_tokens);
  return typeof value === 'number' ? value : 0;
}

/**
 * A reasoning model that spent its whole output budget thinking: billed for all of it, no text,
 * ended the protocol's way for a full budget (`length`, `max_tokens`, `MAX_TOKENS`).
 */
export function exhaustedBudgetReply(protocol: Protocol, input: ChatInput, budget: number): { body: unknown; usage: AnswerUsage } {
  const inputTokens = countTokens(input.system) + countTokens(input.user);
  const usage = { inputTokens, outputTokens: budget };
  const body = completionBody(protocol, input, '', inputTokens, budget) as Record<string, unknown>;
  switch (protocol) {
    case 'openai':
    case 'azure': {
      const [choice] = body.choices as Array<Record<string, unknown>>;
      return { body: { ...body, choices: [{ ...choice, message: { role: 'assistant', content: '', refusal: null }, finish_reason: 'length' }] }, usage };
    }
    case 'anthropic':
      return { body: { ...body, content: [], stop_reason: 'max_tokens' }, usage };
    case 'gemini':
      return {
        body: {
          candidates: [{ content: { role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
          usageMetadata: { promptTokenCount: inputTokens, candidatesTokenCount: 0, thoughtsTokenCount: budget, totalTokenCount: inputTokens + budget },
          modelVersion: input.model,
        },
        usage,
      };
    case 'ollama':
      return { body: { ...body, done_reason: 'length' }, usage };
  }
}

/**
 * Gemini stopping for RECITATION before writing anything: a candidate with no parts and the sources
 * it would have recited, the prompt billed. Null for other protocols, which have no such stop.
 */
export function recitationReply(protocol: Protocol, input: ChatInput): { body: unknown; usage: AnswerUsage } | null {
  if (protocol !== 'gemini') return null;
  const inputTokens = countTokens(input.system) + countTokens(input.user);
  return {
    body: {
      candidates: [
        {
          content: { role: 'model' },
          finishReason: 'RECITATION',
          index: 0,
          citationMetadata: { citationSources: [{ startIndex: 0, endIndex: 120, uri: 'https://example.org/published-text' }] },
        },
      ],
      usageMetadata: { promptTokenCount: inputTokens, totalTokenCount: inputTokens },
      modelVersion: input.model,
    },
    usage: { inputTokens, outputTokens: 0 },
  };
}

/** Reads the prompt out of each protocol's request body; null when the body is not of that shape. */
export function readChatInput(protocol: Protocol, body: unknown, pathModel: string | null): ChatInput | null {
  const record = asRecord(body);
  if (protocol === 'gemini') {
    const contents = Array.isArray(record.contents) ? record.contents : null;
    if (contents === null || pathModel === null) return null;
    const user = contents.map((entry) => (Array.isArray(asRecord(entry).parts) ? (asRecord(entry).parts as unknown[]) : []).map((part) => textOf(asRecord(part).text)).join('')).join('\n');
    const systemParts = asRecord(record.systemInstruction).parts;
    const system = Array.isArray(systemParts) ? systemParts.map((part) => textOf(asRecord(part).text)).join('') : '';
    return { model: pathModel, system, user };
  }
  const messages = Array.isArray(record.messages) ? record.messages : null;
  if (messages === null) return null;
  const model = protocol === 'azure' ? (pathModel ?? '') : typeof record.model === 'string' ? record.model : '';
  if (model === '') return null;
  if (protocol === 'anthropic' && typeof record.max_tokens !== 'number') return null;
  const system = protocol === 'anthropic' ? textOf(record.system) : '';
  const parts = messages.map((message) => ({ role: String(asRecord(message).role ?? ''), text: textOf(asRecord(message).content) }));
  return {
    model,
    system: system + parts.filter((part) => part.role === 'system').map((part) => part.text).join('\n'),
    user: parts.filter((part) => part.role !== 'system').map((part) => part.text).join('\n'),
  };
}

let sequence = 0;

/** Token counts an answer body reports, handed back with it so that the emulator can record them. */
export interface AnswerUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Gemini's answer to a prompt it blocks: no candidates, the reason, and the prompt's tokens. */
/**
 * A content filter refusing the prompt, in the protocol's own format (null for Ollama, which has
 * none): Gemini a 200 with no candidates and `promptFeedback.blockReason` (the prompt billed);
 * OpenAI-compatible and Azure a 400 with code `content_filter` (nothing billed); Anthropic a 200
 * with `stop_reason: refusal` and no text (the prompt billed).
 */
export function blockedPromptReply(protocol: Protocol, input: ChatInput, blockReason: string): (JsonReply & { usage: AnswerUsage }) | null {
  const inputTokens = countTokens(input.system) + countTokens(input.user);
  switch (protocol) {
    case 'gemini':
      return {
        status: 200,
        body: { promptFeedback: { blockReason }, usageMetadata: { promptTokenCount: inputTokens, totalTokenCount: inputTokens }, modelVersion: 'emulated' },
        usage: { inputTokens, outputTokens: 0 },
      };
    case 'openai':
    case 'azure':
      return {
        status: 400,
        body: {
          error: {
            message: "The response was filtered due to the prompt triggering the emulator's content management policy.",
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
          },
        },
        usage: { inputTokens: 0, outputTokens: 0 },
      };
    case 'anthropic':
      return { status: 200, body: filteredBody(protocol, input, '', inputTokens, 0), usage: { inputTokens, outputTokens: 0 } };
    case 'ollama':
      return null;
  }
}

/**
 * A content filter cutting the answer short: the first words of the normal answer, ended the
 * protocol's way (OpenAI-compatible and Azure `finish_reason: content_filter`, Gemini
 * `finishReason: SAFETY`, Anthropic `stop_reason: refusal`), with the tokens billed so far. Null for
 * Ollama, which has no filter.
 */
export function filteredAnswerReply(protocol: Protocol, input: ChatInput): { body: unknown; usage: AnswerUsage } | null {
  if (protocol === 'ollama') return null;
  const partial = answerFor(input.user, false).split(' ').slice(0, 3).join(' ');
  const inputTokens = countTokens(input.system) + countTokens(input.user);
  const outputTokens = countTokens(partial);
  return { body: filteredBody(protocol, input, partial, inputTokens, outputTokens), usage: { inputTokens, outputTokens } };
}

function filteredBody(protocol: Exclude<Protocol, 'ollama'>, input: ChatInput, text: string, inputTokens: number, outputTokens: number): unknown {
  const body = completionBody(protocol, input, text, inputTokens, outputTokens) as Record<string, unknown>;
  switch (protocol) {
    case 'openai':
    case 'azure': {
      const [choice] = body.choices as Array<Record<string, unknown>>;
      return { ...body, choices: [{ ...choice, finish_reason: 'content_filter' }] };
    }
    case 'anthropic':
      return { ...body, content: text === '' ? [] : [{ type: 'text', text }], stop_reason: 'refusal' };
    case 'gemini': {
      const [candidate] = body.candidates as Array<Record<string, unknown>>;
      return { ...body, candidates: [{ ...candidate, finishReason: 'SAFETY' }] };
    }
  }
}

/** A success body in the protocol's format, with usage computed from the prompt and the answer. */
export function completionReply(protocol: Protocol, input: ChatInput, brokenEntities: boolean): { body: unknown; usage: AnswerUsage } {
  const text = answerFor(input.user, brokenEntities);
  const inputTokens = countTokens(input.system) + countTokens(input.user);
  const outputTokens = countTokens(text);
  return { body: completionBody(protocol, input, text, inputTokens, outputTokens), usage: { inputTokens, outputTokens } };
}

function completionBody(protocol: Protocol, input: ChatInput, text: string, inputTokens: number, outputTokens: number): unknown {
  sequence += 1;
  switch (protocol) {
    case 'openai':
    case 'azure':
      return {
        id: `chatcmpl-emu${sequence}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: input.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
      };
    case 'anthropic':
      return {
        id: `msg_emu${sequence}`,
        type: 'message',
        role: 'assistant',
        model: input.model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens },
      };
    case 'gemini':
      return {
        candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: inputTokens, candidatesTokenCount: outputTokens, totalTokenCount: inputTokens + outputTokens },
        modelVersion: input.model,
      };
    case 'ollama':
      return {
        model: input.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: text },
        done_reason: 'stop',
        done: true,
        total_duration: 1_000_000,
        prompt_eval_count: inputTokens,
        eval_count: outputTokens,
      };
  }
}

/**
 * The model ids a provider lists: its catalog models, and for the two providers whose model lists
 * come in pages (Anthropic 20 and Google 50 to a page unless asked for more), enough other models
 * before them that the catalog's fall past the first page, as on an account that sees many.
 */
export function listedModelIds(protocol: Protocol, catalog: readonly string[]): readonly string[] {
  const others = protocol === 'anthropic' ? 30 : protocol === 'gemini' ? 60 : 0;
  return [...Array.from({ length: others }, (_, index) => `emulated-other-model-${index + 1}`), ...catalog];
}

/** A page size from a query parameter: `fallback` when absent, null when it is not a whole number from 1. */
function pageSize(value: string | null, fallback: number): number | null {
  if (value === null) return fallback;
  const size = Number(value);
  return Number.isInteger(size) && size >= 1 ? size : null;
}

/**
 * Aleph Alpha's `GET /model-settings` (PhariaInference): a bare array, one entry per model the
 * token may use, named by `name`, with no paging; `chat` says whether the chat endpoint serves it.
 */
export function modelSettingsReply(models: readonly string[]): JsonReply {
  // The real list also holds models the chat endpoint does not serve, such as embedding models.
  const embedding = {
    name: 'luminous-base-embedding',
    status: 'available',
    worker_type: 'luminous',
    description: 'an embedding model (emulated)',
    multimodal: false,
    max_context_size: 2048,
    semantic_embedding: true,
    completion_type: 'none',
    embedding_type: 'semantic',
    aligned: false,
    chat: false,
    prompt_template: '',
  };
  return {
    status: 200,
    body: [embedding, ...models.map((name) => ({
      name,
      status: 'available',
      worker_type: 'vllm',
      description: `${name} (emulated)`,
      multimodal: false,
      max_context_size: 8192,
      semantic_embedding: false,
      completion_type: 'full',
      embedding_type: 'none',
      aligned: true,
      chat: true,
      prompt_template: '{% promptrange instruction %}{{instruction}}{% endpromptrange %}',
    }))],
  };
}

/**
 * The first page of a model list, as each protocol pages it (`query`: the request's search params).
 * Anthropic refuses a `limit` outside 1..1000; Google takes any `pageSize` from 1 and caps it at 1000.
 */
export function modelListReply(protocol: Protocol, models: readonly string[], query: URLSearchParams): JsonReply {
  switch (protocol) {
    case 'openai':
    case 'azure':
      return { status: 200, body: { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'emulator' })) } };
    case 'anthropic': {
      const limit = pageSize(query.get('limit'), 20);
      if (limit === null || limit > 1000) {
        return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'limit: Input should be less than or equal to 1000' } } };
      }
      const page = models.slice(0, limit);
      return {
        status: 200,
        body: {
          data: page.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
          has_more: page.length < models.length,
          first_id: page[0] ?? null,
          last_id: page.at(-1) ?? null,
        },
      };
    }
    case 'gemini': {
      const size = pageSize(query.get('pageSize'), 50);
      if (size === null) return { status: 400, body: { error: { code: 400, message: 'Invalid page size.', status: 'INVALID_ARGUMENT' } } };
      const page = models.slice(0, Math.min(size, 1000));
      return {
        status: 200,
        body: {
          models: page.map((id) => ({ name: `models/${id}`, displayName: id, inputTokenLimit: 1_048_576, outputTokenLimit: 65_536 })),
          ...(page.length < models.length ? { nextPageToken: 'emulated-next-page' } : {}),
        },
      };
    }
    case 'ollama':
      return { status: 200, body: { models: models.map((id) => ({ name: `${id}:latest`, model: `${id}:latest`, size: 2_000_000_000, digest: 'emu' })) } };
  }
}

/** Same body with the success fields missing: valid JSON of the wrong shape. */
export function wrongShapeReply(protocol: Protocol): unknown {
  return protocol === 'gemini' ? { candidates: 'none' } : protocol === 'ollama' ? { done: true } : { id: 'emu', choices: 'none', content: null };
}
