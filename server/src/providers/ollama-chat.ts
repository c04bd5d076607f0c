// Ollama chat: POST {base}/api/chat with `stream: false`; no key natively (a Bearer token is sent
// when one is stored, for Ollama behind an authenticating proxy); usage in prompt_eval_count /
// eval_count, which Ollama omits when the prompt came from its cache.
import { z } from 'zod';
import { contextTokensFor } from '@byok/shared';
import { ReportedTokens, type ProviderCall, type Prompt } from './types';
import { JSON_HEADERS, joinUrl, type ErrorInfo, type HttpRequestSpec, type ParsedCompletion, type WireProtocol } from './wire-protocol';

const ChatBody = z.object({
  message: z.object({ content: z.string() }),
  done: z.boolean().optional(),
  done_reason: z.string().optional(),
  prompt_eval_count: ReportedTokens.optional(),
  eval_count: ReportedTokens.optional(),
});

const TagsBody = z.object({ models: z.array(z.object({ name: z.string(), model: z.string().optional() })) });

function headers(call: ProviderCall): Record<string, string> {
  return call.apiKey === null || call.apiKey === '' ? { ...JSON_HEADERS } : { ...JSON_HEADERS, authorization: `Bearer ${call.apiKey}` };
}

export const ollamaChatProtocol: WireProtocol = {
  buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec {
    const body = {
      model: call.model,
      stream: false,
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ],
      // Ollama's default context (2,048-4,096 tokens) would silently cut the prompt the chunk was
      // sized for: ask for the catalog's context (the server caps it at what the model allows).
      options: { num_predict: prompt.maxOutputTokens, num_ctx: call.contextTokens ?? contextTokensFor(call.provider, call.model), temperature: 0.2 },
      ...(prompt.json ? { format: 'json' } : {}),
    };
    return { url: joinUrl(call.baseUrl, '/api/chat'), method: 'POST', headers: headers(call), body: JSON.stringify(body) };
  },
  parseCompletion(body: unknown): ParsedCompletion | null {
    const parsed = ChatBody.safeParse(body);
    if (!parsed.success) return null;
    const reported = parsed.data.prompt_eval_count !== undefined || parsed.data.eval_count !== undefined;
    return {
      text: parsed.data.message.content,
      inputTokens: reported ? (parsed.data.prompt_eval_count ?? 0) : null,
      outputTokens: reported ? (parsed.data.eval_count ?? 0) : null,
      finishReason: parsed.data.done_reason ?? null,
    };
  },
  buildVerify(call: ProviderCall): HttpRequestSpec {
    return { url: joinUrl(call.baseUrl, '/api/tags'), method: 'GET', headers: headers(call) };
  },
  parseVerify(body: unknown): readonly string[] | null {
    const parsed = TagsBody.safeParse(body);
    // Tags carry ":latest"; the catalog's ids do not.
    return parsed.success ? parsed.data.models.map((entry) => entry.name.replace(/:latest$/, '')) : null;
  },
  // Ollama's errors are `{ "error": "<message>" }`: free text only, so nothing is kept.
  errorInfo(): ErrorInfo {
    return {};
  },
};
