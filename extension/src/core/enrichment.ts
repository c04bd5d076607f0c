// Runs one enrichment: grants for the user's keys, POST /v1/enrich with streaming progress, and
// the result (or an error in the user's words) recorded in the history table for the side panel.
import { ENRICH_FIELD_MAX, getProvider, formatHint, toWellFormedText } from '@byok/shared';
import type { ByokDb, HistoryEntry, RetryInput } from '../db';
import type { ApiClient } from './api-client';
import { ExtensionError, toErrorInfo, type ErrorInfo } from './errors';
import { grantable, type GrantMaker } from './grants';
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

/** Failures after which the companion may or may not have finished the request. */
const OUTCOME_UNKNOWN: ReadonlySet<string> = new Set(['interrupted', 'companion_unreachable', 'bad_response', 'cancelled']);

export class EnrichmentRunner {
  /**
   * This runner's jobs, from before their first write until their last: any other job recorded as
   * `running` belonged to a worker that is gone.
   */
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: EnrichmentDeps) {}

  /**
   * After a worker restart: jobs left `running` by the previous worker can never finish. They are
   * marked interrupted (not re-sent on their own: the provider may already have charged for it)
   * and keep their input, so the side panel offers "Try again".
   */
  async recoverInterrupted(): Promise<number> {
    const stale = await this.deps.db.history
      .where('state')
      .equals('running')
      .filter((entry) => !this.running.has(entry.id))
      .toArray();
    for (const entry of stale) {
      await this.deps.db.history.update(entry.id, {
        state: 'error',
        progress: null,
        error: { code: 'interrupted', message: 'The extension restarted while this enrichment ran. Try again.' },
      });
      this.deps.notify(entry.id);
    }
    return stale.length;
  }

  /** Send a failed, cancelled or interrupted job again under the same history entry. */
  async retry(id: string): Promise<void> {
    const [entry, input] = await Promise.all([this.deps.db.history.get(id), this.deps.db.retryInputs.get(id)]);
    if (!entry || entry.state === 'running' || entry.state === 'done' || !entry.retryable || !input) {
      throw new ExtensionError('invalid_input', 'This enrichment cannot be tried again; start a new one from the page.');
    }
    const controller = this.claim(id);
    // After a definite answer the companion may have stored it for this request id (a 422, 424, 429
    // or 502 is replayed for 24 hours): trying again is a new request. When the outcome is unknown
    // (the worker died, the connection broke), the same id gets the stored result if the first
    // attempt finished after all, instead of a second, billed call.
    const requestId = OUTCOME_UNKNOWN.has(entry.error?.code ?? '') ? (entry.requestId ?? entry.id) : crypto.randomUUID();
    await this.recording(id, () => this.deps.db.history.update(id, { state: 'running', progress: null, error: null, requestId }));
    this.deps.notify(id);
    this.launch(id, input, controller, requestId);
  }

  /** Record a job that failed before it could start (extraction, permissions). */
  async fail(input: Omit<EnrichInput, 'text'>, error: unknown): Promise<string> {
    const id = crypto.randomUUID();
    // Nothing was extracted, so there is nothing to try again with.
    await this.deps.db.history.put({ ...this.entry(id, { ...input, text: '' }), state: 'error', error: toErrorInfo(error), retryable: false });
    this.deps.notify(id);
    return id;
  }

  /** Start a job and return its id at once; progress and the result land in history. */
  async start(input: EnrichInput): Promise<string> {
    const id = crypto.randomUUID();
    const controller = this.claim(id);
    const retry: RetryInput = { id, kind: input.kind, text: input.text, title: input.title, url: input.url, contentType: input.contentType };
    await this.recording(id, () =>
      this.deps.db.transaction('rw', this.deps.db.history, this.deps.db.retryInputs, async () => {
        await this.deps.db.history.put(this.entry(id, input));
        await this.deps.db.retryInputs.put(retry);
      }),
    );
    this.deps.notify(id);
    this.launch(id, input, controller, id);
    return id;
  }

  /** Counts a job as this runner's before anything about it is written. */
  private claim(id: string): AbortController {
    const controller = new AbortController();
    this.running.set(id, controller);
    return controller;
  }

  /** A claimed job's first write; if it fails, the job never started and is not this runner's. */
  private async recording(id: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.running.delete(id);
      throw error;
    }
  }

  private launch(id: string, input: EnrichInput, controller: AbortController, requestId: string): void {
    void this.run(id, input, controller.signal, requestId).finally(() => this.running.delete(id));
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
      retryable: true,
      requestId: id,
    };
  }

  private async run(id: string, input: EnrichInput, signal: AbortSignal, requestId: string): Promise<void> {
    try {
      const text = truncate(input.text);
      if (!text.trim()) throw new ExtensionError('extract_failed', 'There is no text to enrich here.');
      const result = await this.deps.grants.sendWithGrants(
        () => this.grants(),
        (grants) =>
          this.deps.api.enrich(
            {
              task: 'enrich',
              input: { kind: input.kind, text, url: fit(input.url, 'url'), title: fit(input.title, 'title'), contentType: fit(input.contentType, 'contentType') },
              grants,
            },
            {
              requestId,
              signal,
              onProgress: (progress) => {
                void this.deps.db.history.update(id, { progress }).then(() => this.deps.notify(id));
              },
            },
          ),
      );
      // Done: the input is no longer needed (history keeps title, URL and the result).
      await this.deps.db.transaction('rw', this.deps.db.history, this.deps.db.retryInputs, async () => {
        await this.deps.db.history.update(id, { state: 'done', result, error: null, retryable: false });
        await this.deps.db.retryInputs.delete(id);
      });
    } catch (error) {
      const cancelled = signal.aborted;
      await this.deps.db.history.update(id, {
        state: cancelled ? 'cancelled' : 'error',
        error: cancelled ? { code: 'cancelled', message: 'You cancelled this enrichment.' } : await this.explain(error),
      });
    }
    this.deps.notify(id);
  }

  /**
   * Grants for every usable personal key; none when the user has no sealed personal key (keyless
   * entries, such as a local Ollama, need no grant and so no unlocked vault).
   */
  private async grants(): Promise<string[]> {
    const keys = await this.deps.keys.list().then((list) => list.keys).catch(() => this.deps.keys.cached());
    const personal = keys.filter((key) => key.scope === 'user');
    if (!personal.some(grantable)) return [];
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

/**
 * A page's URL, title or type as the companion takes it: within its length limit and well-formed
 * (a page can have a 10,000-character URL or a broken character in its title; neither is worth a
 * refused request, and the companion only shows them in prompts).
 */
function fit(value: string | undefined, field: keyof typeof ENRICH_FIELD_MAX): string | undefined {
  return value === undefined ? undefined : toWellFormedText(value.slice(0, ENRICH_FIELD_MAX[field]));
}

function truncate(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_TEXT_BYTES) return text;
  return new TextDecoder().decode(bytes.slice(0, MAX_TEXT_BYTES)).replace(/\uFFFD$/, '');
}
