// OpenAI chat completions, spoken by openai, mistral, groq, aleph-alpha, lmstudio and vllm:
// POST {base}/chat/completions with a Bearer key; usage in prompt_tokens / completion_tokens
// (compatible servers may omit one: a missing count is 0, the reported one is kept).
import { z } from 'zod';
import { ReportedTokens, type ProviderCall, type Prompt } from './types';
import { JSON_HEADERS, REASONING_HEADROOM_TOKENS, joinUrl, type ErrorInfo, type HttpRequestSpec, type ParsedCompletion, type ParsedRefusal, type WireProtocol } from './wire-protocol';

const ContentPart = z.object({ type: z.string(), text: z.string().optional() });

const ChatCompletionBody = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.union([z.string(), z.null(), z.array(ContentPart)]).optional(), refusal: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: ReportedTokens.nullish(), completion_tokens: ReportedTokens.nullish() }).nullish(),
});

const ModelListBody = z.object({ data: z.array(z.object({ id: z.string() })) });

const OpenAiErrorBody = z.object({
  error: z.object({ type: z.unknown().optional(), code: z.unknown().optional(), message: z.unknown().optional() }),
});

// Providers whose chat endpoint accepts `response_format: { type: "json_object" }`; LM Studio only
// takes json_schema and Aleph Alpha's support is undocumented, so they rely on the prompt alone.
const JSON_MODE_PROVIDERS: ReadonlySet<string> = new Set(['openai', 'azure-openai', 'mistral', 'groq', 'vllm']);

// OpenAI's reasoning models refuse `max_tokens` and any temperature but the default.
function isOpenAiReasoningModel(model: string): boolean {
  return /^(gpt-5|o\d)/.test(model);
}

/** Models whose reasoning tokens count against the output limit (OpenAI's, and gpt-oss on Groq or vLLM). */
function reasons(model: string): boolean {
  return isOpenAiReasoningModel(model) || /gpt-oss/.test(model);
}

/** The JSON body of a chat completion request, shared with Azure's variant. */
export function chatRequestBody(call: ProviderCall, prompt: Prompt, includeModel: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    messages: [
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
    ],
  };
  if (includeModel) body.model = call.model;
  const usesCompletionTokens = call.provider === 'openai' || call.provider === 'azure-openai';
  body[usesCompletionTokens ? 'max_completion_tokens' : 'max_tokens'] = prompt.maxOutputTokens + (reasons(call.model) ? REASONING_HEADROOM_TOKENS : 0);
  if (!isOpenAiReasoningModel(call.model)) body.temperature = 0.2;
  if (prompt.json && JSON_MODE_PROVIDERS.has(call.provider)) body.response_format = { type: 'json_object' };
  return body;
}

/** Error codes of a 400 that refuses the content rather than the request (Azure's prompt filter, OpenAI's policy check). */
const CONTENT_REFUSAL_CODES: ReadonlySet<unknown> = new Set(['content_filter', 'content_policy_violation']);

export function parseChatCompletion(body: unknown): ParsedCompletion | ParsedRefusal | null {
  const parsed = ChatCompletionBody.safeParse(body);
  if (!parsed.success) return null;
  const choice = parsed.data.choices[0];
  if (choice === undefined) return null;
  // Either count may be missing; the adapter counts a missing one as 0 when the other is reported.
  const inputTokens = parsed.data.usage?.prompt_tokens ?? null;
  const outputTokens = parsed.data.usage?.completion_tokens ?? null;
  const content = choice.message.content;
  const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('') : '';
  // Azure's output filter ends the answer with `content_filter` (empty or partial text); OpenAI puts
  // a model's refusal in `message.refusal` with no content.
  if (choice.finish_reason === 'content_filter') return { refused: true, reason: 'content_filter', inputTokens, outputTokens };
  if (text === '' && typeof choice.message.refusal === 'string' && choice.message.refusal !== '') return { refused: true, reason: 'refusal', inputTokens, outputTokens };
  return { text, inputTokens, outputTokens, finishReason: choice.finish_reason ?? null };
}

export function parseModelList(body: unknown): readonly string[] | null {
  const parsed = ModelListBody.safeParse(body);
  return parsed.success ? parsed.data.data.map((entry) => entry.id) : null;
}

export function openAiErrorInfo(status: number, body: unknown): ErrorInfo {
  const parsed = OpenAiErrorBody.safeParse(body);
  if (!parsed.success) return {};
  // `code` is the more specific of the two (invalid_api_key vs invalid_request_error).
  const { code, type, message } = parsed.data.error;
  // The message is only tested, never kept (providers echo keys in it).
  const missingScope = (status === 401 || status === 403) && typeof message === 'string' && /missing scopes|insufficient permissions/i.test(message);
  return { code: code ?? type, contentRefused: CONTENT_REFUSAL_CODES.has(code), ...(missingScope ? { missingScope } : {}) };
}

function authHeaders(call: ProviderCall): Record<string, string> {
  return call.apiKey === null || call.apiKey === '' ? { ...JSON_HEADERS } : { ...JSON_HEADERS, authorization: `Bearer ${call.apiKey}` };
}

export const openAiChatProtocol: WireProtocol = {
  buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec {
    return {
      url: joinUrl(call.baseUrl, '/chat/completions'),
      method: 'POST',
      headers: authHeaders(call),
      body: JSON.stringify(chatRequestBody(call, prompt, true)),
    };
  },
  parseCompletion: parseChatCompletion,
  buildVerify(call: ProviderCall): HttpRequestSpec {
    return { url: joinUrl(call.baseUrl, '/models'), method: 'GET', headers: authHeaders(call) };
  },
  parseVerify: parseModelList,
  errorInfo: openAiErrorInfo,
};
