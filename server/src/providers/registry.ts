// Picks the adapter for a provider from its catalog protocol. All HTTP adapters share one guarded
// outbound client; the builtin one needs none.
import { getProvider, type ProviderId, type ProviderProtocol } from '@byok/shared';
import { createBuiltinAdapter } from '../builtin/builtin-adapter';
import type { OutboundClient } from '../outbound/guarded-client';
import { anthropicMessagesProtocol } from './anthropic-messages';
import { azureOpenAiProtocol } from './azure-openai';
import { geminiProtocol } from './gemini';
import { createHttpAdapter } from './http-adapter';
import { ollamaChatProtocol } from './ollama-chat';
import { openAiChatProtocol } from './openai-chat';
import type { ProviderAdapter } from './types';
import type { WireProtocol } from './wire-protocol';

const PROTOCOLS: Record<Exclude<ProviderProtocol, 'builtin'>, WireProtocol> = {
  'openai-chat': openAiChatProtocol,
  'anthropic-messages': anthropicMessagesProtocol,
  gemini: geminiProtocol,
  'ollama-chat': ollamaChatProtocol,
  'azure-openai': azureOpenAiProtocol,
};

export interface ProviderAdapters {
  forProvider(provider: ProviderId): ProviderAdapter;
}

export function createProviderAdapters(client: OutboundClient): ProviderAdapters {
  const builtin = createBuiltinAdapter();
  const byProtocol = new Map<ProviderProtocol, ProviderAdapter>();
  for (const [protocol, wire] of Object.entries(PROTOCOLS) as Array<[ProviderProtocol, WireProtocol]>) {
    byProtocol.set(protocol, createHttpAdapter(wire, client));
  }
  byProtocol.set('builtin', builtin);
  return {
    forProvider(provider: ProviderId): ProviderAdapter {
      const adapter = byProtocol.get(getProvider(provider).protocol);
      if (adapter === undefined) throw new Error('no adapter for protocol');
      return adapter;
    },
  };
}
