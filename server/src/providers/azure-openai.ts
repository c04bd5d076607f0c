// Azure OpenAI: the OpenAI chat body at {resource}/openai/deployments/{deployment}/chat/completions
// with an `api-version` query and the key in the `api-key` header. The model id is the deployment.
import { chatRequestBody, openAiErrorInfo, parseChatCompletion, parseModelList } from './openai-chat';
import type { ProviderCall, Prompt } from './types';
import { JSON_HEADERS, joinUrl, pathSegment, type HttpRequestSpec, type WireProtocol } from './wire-protocol';

/**
 * The GA data-plane version used unless the operator sets BYOK_AZURE_API_VERSION: it has chat
 * completions, `max_completion_tokens` and the models list. Reasoning deployments (o1, o3-mini and
 * later) need 2024-12-01-preview or a later version, which an operator opts into.
 */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

function headers(call: ProviderCall): Record<string, string> {
  return call.apiKey === null ? { ...JSON_HEADERS } : { ...JSON_HEADERS, 'api-key': call.apiKey };
}

/** The Azure wire protocol at one `api-version` (checked by the config schema: a date, maybe `-preview`). */
export function azureOpenAiProtocol(apiVersion: string = AZURE_DEFAULT_API_VERSION): WireProtocol {
  const version = encodeURIComponent(apiVersion);
  return {
    buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec {
      const path = `/openai/deployments/${pathSegment(call.model, call.provider)}/chat/completions?api-version=${version}`;
      return { url: joinUrl(call.baseUrl, path), method: 'POST', headers: headers(call), body: JSON.stringify(chatRequestBody(call, prompt, false)) };
    },
    parseCompletion: parseChatCompletion,
    buildVerify(call: ProviderCall): HttpRequestSpec {
      return { url: joinUrl(call.baseUrl, `/openai/models?api-version=${version}`), method: 'GET', headers: headers(call) };
    },
    parseVerify: parseModelList,
    errorInfo: openAiErrorInfo,
  };
}
