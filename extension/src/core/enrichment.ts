// Runs one enrichment: grants for the user's keys, POST /v1/enrich with streaming progress, and
// the result (or an error in the user's words) recorded in the history table for the side panel.
import { getProvider, formatHint } from '@byok/shared';
import type { ByokDb, HistoryEntry } from '../db';
import type { ApiClient } from './api-client';
import { ExtensionError, toErrorInfo, type ErrorInfo } from './errors';
import type { GrantMaker } from './grants';
import type { KeyService } from './keys';
import type { Vault } from './vault';

/** API.md: input.text is at most 2 MiB of UTF-8; we leave room for the rest of the body. */
const MAX_TEXT_BYTES = 2 * 1024 * 1024 - 64 * 1024;

export interface EnrichInput {
  kind: 'page' | 'selection' | 'document';
  text: string;
  title?: string | undefined;
  url?: string | undefined;
  contentType?: string | undefined;
}

export interface EnrichmentDeps {
  db: ByokDb;
  api: ApiClient;
  vault: Vault;
  keys: KeyService;
  grants: GrantMaker;
  notify: (id: string) => void;
}

export class EnrichmentRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: EnrichmentDeps) {}

  /** Record a job that failed before it could start (extraction, permissions). */
  async fail(input: Omit<EnrichInput, 'text'>, error: unknown): Promise<string> {
    const id = crypto.randomUUID();
    await this.deps.db.history.put({ ...this.entry(id, { ...input, text: '' }), state: 'error', error: toErrorInfo(error) });
    this.deps.notify(id);
    return id;
  }

  /** Start a job and return its id at once; progress and the result land in history. */
  async start(input: EnrichInput): Promise<string> {
    const id = crypto.randomUUID();
    await this.deps.db.history.put(this.entry(id, input));
    this.deps.notify(id);
    const controller = new AbortController();
    this.running.set(id, controller);
    void this.run(id, input, controller.signal).finally(() => this.running.delete(id));
    return id;
  }

  /** Wait for a job (tests and callers that need the outcome). */
  async settle(id: string): Promise<HistoryEntry | undefined> {
    for (;;) {
      const entry = await this.deps.db.history.get(id);
      if (!entry || entry.state !== 'running') return entry;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  cancel(id: string): void {
    this.running.get(id)?.abort();
  }

  private entry(id: string, input: EnrichInput): HistoryEntry {
    return {
      id,
      createdAt: new Date().toISOString(),
      kind: input.kind,
      title: input.title?.trim() || (input.kind === 'selection' ? input.text.slice(0, 80) : input.url ?? 'Untitled'),
      url: input.url ?? null,
      chars: input.text.length,
      state: 'running',
      progress: null,
      result: null,
      error: null,
    };
  }

  private async run(id: string, input: EnrichInput, signal: AbortSignal): Promise<void> {
    try {
      const text = truncate(input.text);
      if (!text.trim()) throw new ExtensionError('extract_failed', 'There is no text to enrich here.');
      const grants = await this.grants();
      const result = await this.deps.api.enrich(
        {
          task: 'enrich',
          input: { kind: input.kind, text, url: input.url, title: input.title, contentType: input.contentType },
          grants,
        },
        {
          requestId: id,
          signal,
          onProgress: (progress) => {
            void this.deps.db.history.update(id, { progress }).then(() => this.deps.notify(id));
          },
        },
      );
      await this.deps.db.history.update(id, { state: 'done', result, error: null });
    } catch (error) {
      const cancelled = signal.aborted;
      await this.deps.db.history.update(id, {
        state: cancelled ? 'cancelled' : 'error',
        error: cancelled ? { code: 'cancelled', message: 'You cancelled this enrichment.' } : await this.explain(error),
      });
    }
    this.deps.notify(id);
  }

  /** Grants for every usable personal key; none when the user has no personal key. */
  private async grants(): Promise<string[]> {
    const keys = await this.deps.keys.list().then((list) => list.keys).catch(() => this.deps.keys.cached());
    const personal = keys.filter((key) => key.scope === 'user');
    if (personal.length === 0) return [];
    const unlocked = await this.deps.vault.current();
    if (!unlocked) throw new ExtensionError('locked', 'Unlock the vault in the toolbar popup so that your keys can be used.');
    return this.deps.grants.grantsForRoute(unlocked, personal);
  }

  /** key_rejected names the refused key (the companion marked it invalid). */
  private async explain(error: unknown): Promise<ErrorInfo> {
    const info = toErrorInfo(error);
    if (info.code !== 'key_rejected') return info;
    const before = new Map((await this.deps.keys.cached()).map((key) => [key.id, key.status]));
    const after = await this.deps.keys.refresh().catch(() => []);
    const rejected = after.find((key) => key.scope === 'user' && key.status === 'invalid' && before.get(key.id) !== 'invalid') ??
      after.find((key) => key.scope === 'user' && key.status === 'invalid');
    if (!rejected) return info;
    const provider = getProvider(rejected.provider)?.name ?? rejected.provider;
    return {
      ...info,
      secretId: rejected.id,
      message: `${provider} refused your key "${rejected.label}" (${formatHint(rejected.hint)}). Rotate it with a working key, then try again.`,
    };
  }
}

function truncate(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_TEXT_BYTES) return text;
  return new TextDecoder().decode(bytes.slice(0, MAX_TEXT_BYTES)).replace(/\uFFFD$/, '');
}
