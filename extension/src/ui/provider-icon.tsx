// A small monogram icon per provider (no remote images: the pages load nothing from the web).
import { getProvider } from './catalog';

const COLORS: Record<string, string> = {
  openai: '#10a37f',
  anthropic: '#c96442',
  google: '#4285f4',
  mistral: '#f7690d',
  groq: '#f55036',
  'aleph-alpha': '#5b4bdb',
  'azure-openai': '#0078d4',
  ollama: '#555b66',
  lmstudio: '#6b4fbb',
  vllm: '#2f6f9f',
  builtin: '#6b7280',
};

const MONOGRAMS: Record<string, string> = {
  openai: 'AI',
  anthropic: 'A\\',
  google: 'G',
  mistral: 'M',
  groq: 'gq',
  'aleph-alpha': 'α',
  'azure-openai': 'Az',
  ollama: 'Ol',
  lmstudio: 'LM',
  vllm: 'vL',
  builtin: '⌂',
};

export function providerName(id: string): string {
  return getProvider(id)?.name ?? id;
}

export function ProviderIcon({ provider }: { provider: string }) {
  return (
    <span className="provider-icon" style={{ background: COLORS[provider] ?? '#6b7280' }} aria-hidden="true">
      {MONOGRAMS[provider] ?? provider.slice(0, 2)}
    </span>
  );
}
