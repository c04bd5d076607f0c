// Turns a WireProtocol into a ProviderAdapter: sends the mapped request through the guarded
// outbound client, maps transport failures, HTTP errors and malformed bodies to ProviderError,
// and never lets a header or a provider message into anything it throws or returns.
import type { OutboundClient, OutboundResponse } from '../outbound/guarded-client';
import { OutboundError } from '../outbound/outbound-error';
import { ProviderError, kindForStatus, parseRetryAfter, safeProviderCode, safeToShow } from './provider-error';
import type { Completion, ProviderAdapter, ProviderCall, Prompt, VerifyResult } from './types';
import type { HttpRequestSpec, WireProtocol } from './wire-protocol';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** ProviderError detail of a 401/403 for a permission the key lacks (it is not an invalid key). */
const MISSING_SCOPE = 'missing_scope';

const PLAUSIBLE_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Whether a model id from a provider's answer may be returned and recorded: it looks like a model
 * id (bounded length, a conservative character set) and has nothing in common with the key.
 */
export function safeModelId(value: string, apiKey: string | null): boolean {
  return PLAUSIBLE_MODEL_ID.test(value) && safeToShow(value, apiKey);
}

function fromOutbound(provider: string, error: OutboundError): ProviderError {
  if (error.code === 'timeout') return new ProviderError({ provider, kind: 'timeout' });
  if (error.code === 'aborted') return new ProviderError({ provider, kind: 'aborted' });
  if (error.code === 'too_large') return new ProviderError({ provider, kind: 'malformed', detail: error.code });
  return new ProviderError({ provider, kind: 'unreachable', detail: error.code, ...(error.status === undefined ? {} : { status: error.status }) });
}

export function createHttpAdapter(protocol: WireProtocol, client: OutboundClient): ProviderAdapter {
  /** One HTTP exchange: 2xx JSON body on success; a ProviderError for everything else. */
  async function exchange(call: ProviderCall, spec: HttpRequestSpec): Promise<unknown> {
    let response: OutboundResponse;
    try {
      response = await client.request({
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        allowedBaseUrls: call.allowedBaseUrls,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
        ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
      });
    } catch (error) {
      if (error instanceof OutboundError) throw fromOutbound(call.provider, error);
      throw new ProviderError({ provider: call.provider, kind: 'unreachable' });
    }
    const body = parseJson(response.body);
    if (response.status >= 200 && response.status < 300) {
      if (body === undefined) throw new ProviderError({ provider: call.provider, kind: 'malformed', status: response.status });
      return body;
    }
    const info = protocol.errorInfo(response.status, body);
    const providerCode = safeProviderCode(info.code, call.apiKey);
    const retryAfterMs = response.status === 429 ? (parseRetryAfter(response.headers) ?? info.retryAfterMs) : undefined;
    throw new ProviderError({
      provider: call.provider,
      kind: kindForStatus(response.status, info.authFailure === true, info.contentRefused === true),
      status: response.status,
      ...(info.missingScope === true ? { detail: MISSING_SCOPE } : {}),
      ...(providerCode === undefined ? {} : { providerCode }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  async function complete(call: ProviderCall, prompt: Prompt): Promise<Completion> {
    const body = await exchange(call, protocol.buildCompletion(call, prompt));
    const parsed = protocol.parseCompletion(body);
    if (parsed === null) throw new ProviderError({ provider: call.provider, kind: 'malformed', status: 200 });
    if ('refused' in parsed) {
      // A definite refusal of this content: another attempt would be refused (and billed) again.
      const providerCode = safeProviderCode(parsed.reason, call.apiKey);
      throw new ProviderError({
        provider: call.provider,
        kind: 'refused',
        status: 200,
        ...(providerCode === undefined ? {} : { providerCode }),
        usage: { inputTokens: parsed.inputTokens ?? 0, outputTokens: parsed.outputTokens ?? 0 },
      });
    }
    const usageReported = parsed.inputTokens !== null || parsed.outputTokens !== null;
    if (parsed.text.trim() === '') {
      // No answer, though billed: typically a reasoning model that spent its whole output budget
      // thinking (finish reason length / MAX_TOKENS), or Gemini stopping for RECITATION before any
      // text. Malformed, so the route moves on; the tokens count.
      throw new ProviderError({
        provider: call.provider,
        kind: 'malformed',
        status: 200,
        detail: 'empty answer',
        usage: { inputTokens: parsed.inputTokens ?? 0, outputTokens: parsed.outputTokens ?? 0 },
      });
    }
    return {
      text: parsed.text,
      usage: { inputTokens: parsed.inputTokens ?? 0, outputTokens: parsed.outputTokens ?? 0 },
      usageReported,
      finishReason: parsed.finishReason,
    };
  }

  /** What a failed check says about the key; a caller that went away is rethrown. */
  function failedVerify(error: unknown): VerifyResult {
    if (!(error instanceof ProviderError)) throw error;
    if (error.kind === 'auth') return { status: 'invalid', detail: `the provider refused the key (${error.message})` };
    if (error.kind === 'aborted') throw error;
    if (error.kind === 'rate_limit') return { status: 'unreachable', detail: `the provider is rate limiting (${error.message})`, rateLimited: true };
    return { status: 'unreachable', detail: `the provider could not be reached (${error.message})` };
  }

  /**
   * A key refused only the model list for lack of that permission (an OpenAI restricted key) is
   * asked for one token of chat instead: what the product uses it for.
   */
  async function verifyByChat(call: ProviderCall): Promise<VerifyResult> {
    try {
      await complete(call, { purpose: 'summary-chunk', system: 'Answer with one word.', user: 'Say OK.', source: 'Say OK.', maxOutputTokens: 1, json: false });
    } catch (error) {
      // Any answer (even an empty or refused one) came from a key the provider accepted.
      if (!(error instanceof ProviderError && error.summary.status === 200)) return failedVerify(error);
    }
    return { status: 'valid', model: call.model, detail: 'the key works for chat; it may not list models' };
  }

  async function verify(call: ProviderCall): Promise<VerifyResult> {
    try {
      const body = await exchange(call, protocol.buildVerify(call));
      const models = protocol.parseVerify(body);
      if (models === null) return { status: 'unreachable', detail: 'the provider answered with an unexpected body' };
      // A listed id stands in for an unlisted requested model only when it is safe to echo.
      const listed = models.includes(call.model) ? call.model : models[0];
      const model = listed === undefined || safeModelId(listed, call.apiKey) ? listed : call.model;
      return { status: 'valid', ...(model === undefined ? {} : { model }), detail: `the key works; ${models.length} models visible` };
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'auth' && error.summary.detail === MISSING_SCOPE) return verifyByChat(call);
      return failedVerify(error);
    }
  }

  return { complete, verify };
}
