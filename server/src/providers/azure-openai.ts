// Azure OpenAI: the OpenAI chat body at {resource}/openai/deployments/{deployment}/chat/completions
// with an `api-version` query and the key in the `api-key` header. The model id is the deployment.
import { chatRequestBody, openAiErrorInfo, parseChatCompletion, parseModelList } from './openai-chat';
import type { ProviderCall, Prompt } from './types';
import { JSON_HEADERS, joinUrl, pathSegment, type HttpRequestSpec, type WireProtocol } from './wire-protocol';

/** A GA data-plane version that has chat completions, `max_completion_tokens` and the models list. */
export const AZURE_API_VERSION = '2024-10-21';

function headers(call: ProviderCall): Record<string, string> {
  return call.apiKey === null ? { ...JSON_HEADERS } : { ...JSON_HEADERS, 'api-key': call.apiKey };
}

export const azureOpenAiProtocol: WireProtocol = {
  buildCompletion(call: ProviderCall, prompt: Prompt): HttpRequestSpec {
    const path = `/openai/deployments/${pathSegment(call.model, call.provider)}/chat/completions?api-version=${AZURE_API_VERSION}`;
    return { url: joinUrl(call.baseUrl, path), method: 'POST', headers: headers(call), body: JSON.stringify(chatRequestBody(call, prompt, false)) };
  },
  parseCompletion: parseChatCompletion,
  buildVerify(call: ProviderCall): HttpRequestSpec {
    return { url: joinUrl(call.baseUrl, `/openai/models?api-version=${AZURE_API_VERSION}`), method: 'GET', headers: headers(call) };
  },
  parseVerify: parseModelList,
  errorInfo: openAiErrorInfo,
};
