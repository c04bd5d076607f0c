// Picks the adapter for a provider from its catalog protocol, or from a variant of its own. All
// HTTP adapters share one guarded outbound client; the builtin one needs none.
import { getProvider, type ProviderId, type ProviderProtocol } from '@byok/shared';
import { createBuiltinAdapter } from '../builtin/builtin-adapter';
import type { OutboundClient } from '../outbound/guarded-client';
import { alephAlphaProtocol } from './aleph-alpha';
import { anthropicMessagesProtocol } from './anthropic-messages';
import { azureOpenAiProtocol } from './azure-openai';
import { geminiProtocol } from './gemini';
import { createHttpAdapter } from './http-adapter';
import { ollamaChatProtocol } from './ollama-chat';
import { openAiChatProtocol } from './openai-chat';
import type { ProviderAdapter } from './types';
import type { WireProtocol } from './wire-protocol';

export interface AdapterOptions {
  /** Azure OpenAI's `api-version` (BYOK_AZURE_API_VERSION); its GA default otherwise. */
  readonly azureApiVersion?: string;
}

function protocols(options: AdapterOptions): Record<Exclude<ProviderProtocol, 'builtin'>, WireProtocol> {
  return {
    'openai-chat': openAiChatProtocol,
    'anthropic-messages': anthropicMessagesProtocol,
    gemini: geminiProtocol,
    'ollama-chat': ollamaChatProtocol,
    'azure-openai': azureOpenAiProtocol(options.azureApiVersion),
  };
}

/** Providers that speak their protocol with a difference of their own (the model list's address and shape). */
const PROVIDER_PROTOCOLS: Partial<Record<ProviderId, WireProtocol>> = {
  'aleph-alpha': alephAlphaProtocol,
};

export interface ProviderAdapters {
  forProvider(provider: ProviderId): ProviderAdapter;
}

export function createProviderAdapters(client: OutboundClient, options: AdapterOptions = {}): ProviderAdapters {
  const builtin = createBuiltinAdapter();
  const byProtocol = new Map<ProviderProtocol, ProviderAdapter>();
  for (const [protocol, wire] of Object.entries(protocols(options)) as Array<[ProviderProtocol, WireProtocol]>) {
    byProtocol.set(protocol, createHttpAdapter(wire, client));
  }
  byProtocol.set('builtin', builtin);
  const byProvider = new Map<ProviderId, ProviderAdapter>();
  for (const [provider, wire] of Object.entries(PROVIDER_PROTOCOLS) as Array<[ProviderId, WireProtocol]>) byProvider.set(provider, createHttpAdapter(wire, client));
  return {
    forProvider(provider: ProviderId): ProviderAdapter {
      const adapter = byProvider.get(provider) ?? byProtocol.get(getProvider(provider).protocol);
      if (adapter === undefined) throw new Error('no adapter for protocol');
      return adapter;
    },
  };
}
