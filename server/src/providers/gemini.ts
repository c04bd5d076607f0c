// Gemini generateContent: POST {base}/v1beta/models/{model}:generateContent with the key ONLY in
// the `x-goog-api-key` header (never `?key=`); usage in usageMetadata. An invalid key answers
// 400 INVALID_ARGUMENT with an ErrorInfo reason API_KEY_INVALID, which counts as an auth failure.
// A blocked prompt is a 200 with no candidates, `promptFeedback.blockReason` and the prompt's
// usage; a blocked answer is a candidate whose finishReason names a content filter. Both are
// refusals of the content, not malformed answers. A 429 says how long to wait only in its body (a
// RetryInfo detail's `retryDelay`), with no retry-after header.
import { z } from 'zod';
import { parseRetryDelay } from './provider-error';
import { ReportedTokens, type ProviderCall, type Prompt } from './types';
import { JSON_HEADERS, REASONING_HEADROOM_TOKENS, joinUrl, pathSegment, type ErrorInfo, type HttpRequestSpec, type ParsedCompletion, type ParsedRefusal, type WireProtocol } from './wire-protocol';

const GenerateBody = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(z.object({ text: z.string().optional(), thought: z.boolean().optional() })).optional() }).optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
  usageMetadata: z
    .object({
      promptTokenCount: ReportedTokens.optional(),
      candidatesTokenCount: ReportedTokens.optional(),
      thoughtsTokenCount: ReportedTokens.optional(),
    })
    .optional(),
});

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

const ModelListBody = z.object({ models: z.array(z.object({ name: z.string() })) });

const ErrorBody = z.object({
  error: z.object({
    status: z.unknown().optional(),
    details: z.array(z.object({ '@type': z.unknown().optional(), reason: z.unknown().optional(), retryDelay: z.unknown().optional() })).optional(),
  }),
});

/**
 * Finish reasons with which Gemini's filters stop a candidate over the text (its own, if any, is cut
 * short). Not RECITATION: that is about the answer resembling published text, which another
 * provider may well not produce. One that stopped before any text is an empty answer like any other
 * (http-adapter.ts): malformed, with the tokens Google billed for it.
 */
const CONTENT_FILTER_FINISH: ReadonlySet<string> = new Set(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII']);

/**
 * The output budget and thinking settings for `model`. Gemini's thinking counts against
 * `maxOutputTokens` and is on by default from 2.5: 2.5 Flash and Flash-Lite can turn it off;
 * Gemini 3 thinks by level (`low` is the least every Gemini 3 model takes); other thinking models
 * (2.5 Pro cannot go below 128 tokens) get headroom.
 */
function thinkingFor(model: string, maxOutputTokens: number): Record<string, unknown> {
  const id = model.replace(/^models\//, '');
  if (/^gemini-2\.5-flash/.test(id)) return { maxOutputTokens, thinkingConfig: { thinkingBudget: 0 } };
  if (/^gemini-3/.test(id)) return { maxOutputTokens: maxOutputTokens + REASONING_HEADROOM_TOKENS, thinkingConfig: { thinkingLevel: 'low' } };
  if (/^gemini-(1\.|2\.0)/.test(id)) return { maxOutputTokens };
  return { maxOutputTokens: maxOutputTokens + REASONING_HEADROOM_TOKENS };
}

function headers(call: ProviderCall): Record<string, string> {
  return call.apiKey === null ? { ...JSON_HEADERS } : { ...JSON_HEADERS, 'x-goog-api-key': call.apiKey };
}

function modelPath(model: string, provider: string): string {
  return pathSegment(model.replace(/^models\//, ''), provider);
}

export const geminiProtocol: WireProtocol = {
  buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec {
    const body = {
      systemInstruction: { parts: [{ text: prompt.system }] },
      contents: [{ role: 'user', parts: [{ text: prompt.user }] }],
      generationConfig: {
        ...thinkingFor(call.model, prompt.maxOutputTokens),
        temperature: 0.2,
        ...(prompt.json ? { responseMimeType: 'application/json' } : {}),
      },
    };
    const url = joinUrl(call.baseUrl, `/v1beta/models/${modelPath(call.model, call.provider)}:generateContent`);
    return { url, method: 'POST', headers: headers(call), body: JSON.stringify(body) };
  },
  parseCompletion(body: unknown): ParsedCompletion | ParsedRefusal | null {
    const parsed = GenerateBody.safeParse(body);
    if (!parsed.success) return null;
    const candidate = parsed.data.candidates?.[0];
    const usage = parsed.data.usageMetadata;
    const inputTokens = usage?.promptTokenCount ?? null;
    // Thinking tokens are billed as output tokens.
    const outputTokens = usage === undefined ? null : (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
    if (candidate === undefined) {
      const reason = parsed.data.promptFeedback?.blockReason;
      return reason === undefined ? null : { refused: true, reason, inputTokens, outputTokens };
    }
    if (candidate.finishReason !== undefined && CONTENT_FILTER_FINISH.has(candidate.finishReason)) {
      return { refused: true, reason: candidate.finishReason, inputTokens, outputTokens };
    }
    const parts = candidate.content?.parts ?? [];
    const text = parts.filter((part) => part.thought !== true).map((part) => part.text ?? '').join('');
    return {
      text,
      inputTokens,
      outputTokens,
      finishReason: candidate.finishReason ?? null,
    };
  },
  buildVerify(call: ProviderCall): HttpRequestSpec {
    // 50 to a page unless asked; 1000 is the most a page holds.
    return { url: joinUrl(call.baseUrl, '/v1beta/models?pageSize=1000'), method: 'GET', headers: headers(call) };
  },
  parseVerify(body: unknown): readonly string[] | null {
    const parsed = ModelListBody.safeParse(body);
    return parsed.success ? parsed.data.models.map((entry) => entry.name.replace(/^models\//, '')) : null;
  },
  errorInfo(_status: number, body: unknown): ErrorInfo {
    const parsed = ErrorBody.safeParse(body);
    if (!parsed.success) return {};
    const details = parsed.data.error.details ?? [];
    const reasons = details.map((detail) => detail.reason);
    const keyInvalid = reasons.includes('API_KEY_INVALID');
    const reason = reasons.find((value) => typeof value === 'string');
    const retryInfo = details.find((detail) => detail['@type'] === RETRY_INFO);
    const retryAfterMs = parseRetryDelay(retryInfo?.retryDelay);
    return { code: reason ?? parsed.data.error.status, authFailure: keyInvalid, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  },
};
