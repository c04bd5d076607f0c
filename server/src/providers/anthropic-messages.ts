// Anthropic messages: POST {base}/v1/messages with `x-api-key` and `anthropic-version`; the system
// prompt is a top-level field; usage in input_tokens / output_tokens (cache tokens are input too).
// A `refusal` stop reason is Claude's safety classifiers declining the content.
import { z } from 'zod';
import { ReportedTokens, type ProviderCall, type Prompt } from './types';
import { JSON_HEADERS, joinUrl, type ErrorInfo, type HttpRequestSpec, type ParsedCompletion, type ParsedRefusal, type WireProtocol } from './wire-protocol';

export const ANTHROPIC_VERSION = '2023-06-01';

const MessageBody = z.object({
  type: z.literal('message'),
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage: z.object({
    input_tokens: ReportedTokens,
    output_tokens: ReportedTokens,
    cache_creation_input_tokens: ReportedTokens.nullish(),
    cache_read_input_tokens: ReportedTokens.nullish(),
  }),
});

const ModelListBody = z.object({ data: z.array(z.object({ id: z.string() })) });
const ErrorBody = z.object({ type: z.literal('error'), error: z.object({ type: z.unknown() }) });

function headers(call: ProviderCall): Record<string, string> {
  const base = { ...JSON_HEADERS, 'anthropic-version': ANTHROPIC_VERSION };
  return call.apiKey === null ? base : { ...base, 'x-api-key': call.apiKey };
}

export const anthropicMessagesProtocol: WireProtocol = {
  buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec {
    const body = {
      model: call.model,
      max_tokens: prompt.maxOutputTokens,
      temperature: 0.2,
      system: prompt.system,
      messages: [{ role: 'user', content: prompt.user }],
    };
    return { url: joinUrl(call.baseUrl, '/v1/messages'), method: 'POST', headers: headers(call), body: JSON.stringify(body) };
  },
  parseCompletion(body: unknown): ParsedCompletion | ParsedRefusal | null {
    const parsed = MessageBody.safeParse(body);
    if (!parsed.success) return null;
    const { usage } = parsed.data;
    const inputTokens = usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
    // Claude's safety classifiers end the message with `refusal`; the tokens up to it are billed.
    if (parsed.data.stop_reason === 'refusal') return { refused: true, reason: 'refusal', inputTokens, outputTokens: usage.output_tokens };
    return {
      text: parsed.data.content.filter((block) => block.type === 'text').map((block) => block.text ?? '').join(''),
      inputTokens,
      outputTokens: usage.output_tokens,
      finishReason: parsed.data.stop_reason ?? null,
    };
  },
  buildVerify(call: ProviderCall): HttpRequestSpec {
    // 20 to a page unless asked; 1000 is the most a page holds.
    return { url: joinUrl(call.baseUrl, '/v1/models?limit=1000'), method: 'GET', headers: headers(call) };
  },
  parseVerify(body: unknown): readonly string[] | null {
    const parsed = ModelListBody.safeParse(body);
    return parsed.success ? parsed.data.data.map((entry) => entry.id) : null;
  },
  errorInfo(_status: number, body: unknown): ErrorInfo {
    const parsed = ErrorBody.safeParse(body);
    return parsed.success ? { code: parsed.data.error.type } : {};
  },
};
