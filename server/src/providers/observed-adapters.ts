// Wraps the provider adapters so that every provider call is counted and timed by provider and
// outcome (ok, or the ProviderError kind) for /metrics, in one place for all protocols.
import type { ProviderId } from '@byok/shared';
import { ProviderError } from './provider-error';
import type { ProviderAdapters } from './registry';
import type { ProviderAdapter } from './types';

export type CallObserver = (provider: string, outcome: string, seconds: number) => void;

export function observeAdapters(inner: ProviderAdapters, observe: CallObserver): ProviderAdapters {
  const wrapped = new Map<ProviderId, ProviderAdapter>();
  return {
    forProvider(provider: ProviderId): ProviderAdapter {
      let adapter = wrapped.get(provider);
      if (adapter) return adapter;
      const base = inner.forProvider(provider);
      adapter = {
        async complete(call, prompt) {
          const started = performance.now();
          try {
            const completion = await base.complete(call, prompt);
            observe(call.provider, 'ok', (performance.now() - started) / 1000);
            return completion;
          } catch (error) {
            observe(call.provider, error instanceof ProviderError ? error.kind : 'error', (performance.now() - started) / 1000);
            throw error;
          }
        },
        async verify(call) {
          const started = performance.now();
          const result = await base.verify(call);
          observe(call.provider, `verify_${result.status}`, (performance.now() - started) / 1000);
          return result;
        },
      };
      wrapped.set(provider, adapter);
      return adapter;
    },
  };
}
