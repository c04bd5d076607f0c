// Turns a WireProtocol into a ProviderAdapter: sends the mapped request through the guarded
// outbound client, maps transport failures, HTTP errors and malformed bodies to ProviderError,
// and never lets a header or a provider message into anything it throws or returns.
import type { OutboundClient, OutboundResponse } from '../outbound/guarded-client';
import { OutboundError } from '../outbound/outbound-error';
import { ProviderError, kindForStatus, parseRetryAfter, safeProviderCode } from './provider-error';
import type { Completion, ProviderAdapter, ProviderCall, Prompt, VerifyResult } from './types';
import type { HttpRequestSpec, WireProtocol } from './wire-protocol';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
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
    const retryAfterMs = response.status === 429 ? parseRetryAfter(response.headers) : undefined;
    throw new ProviderError({
      provider: call.provider,
      kind: kindForStatus(response.status, info.authFailure === true),
      status: response.status,
      ...(providerCode === undefined ? {} : { providerCode }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  async function complete(call: ProviderCall, prompt: Prompt): Promise<Completion> {
    const body = await exchange(call, protocol.buildCompletion(call, prompt));
    const parsed = protocol.parseCompletion(body);
    if (parsed === null) throw new ProviderError({ provider: call.provider, kind: 'malformed', status: 200 });
    const usageReported = parsed.inputTokens !== null || parsed.outputTokens !== null;
    return {
      text: parsed.text,
      usage: { inputTokens: parsed.inputTokens ?? 0, outputTokens: parsed.outputTokens ?? 0 },
      usageReported,
      finishReason: parsed.finishReason,
    };
  }

  async function verify(call: ProviderCall): Promise<VerifyResult> {
    try {
      const body = await exchange(call, protocol.buildVerify(call));
      const models = protocol.parseVerify(body);
      if (models === null) return { status: 'unreachable', detail: 'the provider answered with an unexpected body' };
      const model = models.includes(call.model) ? call.model : models[0];
      return { status: 'valid', ...(model === undefined ? {} : { model }), detail: `the key works; ${models.length} models visible` };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (error.kind === 'auth') return { status: 'invalid', detail: `the provider refused the key (${error.message})` };
      if (error.kind === 'aborted') throw error;
      return { status: 'unreachable', detail: `the provider could not be reached (${error.message})` };
    }
  }

  return { complete, verify };
}
