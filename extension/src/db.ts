// The extension's IndexedDB (Dexie) schema with versioned upgrades. Holds only metadata, sealed
// or wrapped material, usage, history and the vault session's non-extractable KEK: never a
// plaintext key, a token, a grant or a data key (CRYPTO.md section 6).
import Dexie, { type Table } from 'dexie';
import type { KeyHint, ProviderId, SealedBlob } from '@byok/shared';
import type { EnrichResult, SecretView, UsageReport } from './core/companion-types';

export const DB_NAME = 'byok-companion';

/** A cached secret: the server's public view (metadata and, for personal keys, wrappedDek). */
export type CachedKey = SecretView;

/** A key sealed while the companion could not be reached, waiting to be uploaded in order. */
export interface OutboxItem {
  seq?: number;
  secretId: string;
  kind: 'store' | 'rotate';
  provider: ProviderId;
  label: string;
  defaultModel: string | null;
  baseUrl: string;
  /** Both absent for a keyless entry (a provider that runs without a key). */
  hint?: KeyHint | undefined;
  sealed?: SealedBlob | undefined;
  replace: boolean;
  /**
   * A rotation's condition: the version of the key it replaces, as this device last saw it. The
   * upload is refused (409) if the key changed elsewhere meanwhile. Absent for a store, for a key
   * this device never saw uploaded, and once the user chose to apply the rotation anyway.
   */
  ifMatch?: number | undefined;
  state: 'pending' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  /** The companion's error code and message for a refused upload (never key material). */
  lastError: { code: string; message: string } | null;
  createdAt: string;
}

export interface HistoryEntry {
  id: string;
  createdAt: string;
  kind: 'page' | 'selection' | 'document';
  title: string;
  url: string | null;
  chars: number;
  state: 'running' | 'done' | 'error' | 'cancelled';
  progress: { done: number; total: number; stage: string } | null;
  result: EnrichResult | null;
  error: { code: string; message: string; secretId?: string | undefined } | null;
  /** Whether "Try again" can send it again: its input waits in `retryInputs` under the same id. */
  retryable: boolean;
  /**
   * The `x-request-id` of its latest attempt (the companion's idempotency key). Absent on entries
   * from before it was kept, whose only attempt used the entry's id.
   */
  requestId?: string;
}

/**
 * What an unfinished or failed enrichment sent (up to 2 MiB of text), kept apart from its history
 * entry until the job is done: history rows go to the side panel on every progress event, and
 * this text is read only when the user tries again.
 */
export interface RetryInput {
  /** The history entry's id. */
  id: string;
  kind: HistoryEntry['kind'];
  text: string;
  title?: string | undefined;
  url?: string | undefined;
  contentType?: string | undefined;
}

export interface UsageCacheEntry {
  /** `${month}|${groupBy}` */
  id: string;
  fetchedAt: string;
  report: UsageReport;
}

export interface SettingRow {
  key: string;
  value: unknown;
}

/** The unlocked vault: the KEK as a non-extractable CryptoKey (structured-cloned by IndexedDB). */
export interface VaultSessionRow {
  id: 'current';
  kek: CryptoKey;
  userId: string;
  unlockedAt: number;
  /** Auto-lock deadline; a worker that wakes after it locks at once (alarms can be late). */
  lockAt: number;
  /**
   * Unlocked while the companion was unreachable: the passphrase was checked only against a cached
   * wrapped key, so the first answer from the companion must confirm it is still the account's.
   */
  offline?: boolean;
}

/** Schema of version 1, kept so that the upgrade test can create an old database. */
export const SCHEMA_V1 = {
  keys: 'id, scope, provider, position',
  outbox: '++seq, secretId, state',
  history: 'id, createdAt',
  settings: 'key',
  vaultSession: 'id',
};

/** Version 2 adds the usage cache and indexes outbox retries by time. */
export const SCHEMA_V2 = {
  ...SCHEMA_V1,
  outbox: '++seq, secretId, state, nextAttemptAt',
  usage: 'id',
};

/**
 * Version 3 moves the text of retryable enrichments out of history rows into `retryInputs`, and
 * indexes history by state (the restart recovery looks up running jobs).
 */
export const SCHEMA_V3 = {
  ...SCHEMA_V2,
  history: 'id, createdAt, state',
  retryInputs: 'id',
};

/** A version-2 history row, which carried its retry input inline. */
type HistoryRowV2 = Omit<HistoryEntry, 'retryable'> & { retryable?: boolean; input?: Omit<RetryInput, 'id'> | undefined };

export class ByokDb extends Dexie {
  keys!: Table<CachedKey, string>;
  outbox!: Table<OutboxItem, number>;
  history!: Table<HistoryEntry, string>;
  settings!: Table<SettingRow, string>;
  vaultSession!: Table<VaultSessionRow, string>;
  usage!: Table<UsageCacheEntry, string>;
  retryInputs!: Table<RetryInput, string>;

  constructor(name: string = DB_NAME) {
    super(name);
    this.version(1).stores(SCHEMA_V1);
    this.version(2)
      .stores(SCHEMA_V2)
      .upgrade(async (tx) => {
        // Version 1 outbox rows had no retry bookkeeping: give them a due time and a counter.
        await tx
          .table('outbox')
          .toCollection()
          .modify((item: Partial<OutboxItem>) => {
            item.attempts ??= 0;
            item.nextAttemptAt ??= 0;
            item.lastError ??= null;
            item.replace ??= false;
          });
      });
    this.version(3)
      .stores(SCHEMA_V3)
      .upgrade(async (tx) => {
        const history = tx.table<HistoryRowV2, string>('history');
        const inputs = (await history.toArray()).flatMap((row) => (row.input && row.state !== 'done' ? [{ ...row.input, id: row.id }] : []));
        await tx.table<RetryInput, string>('retryInputs').bulkPut(inputs);
        await history.toCollection().modify((row: HistoryRowV2) => {
          // Version 2 kept the input exactly as long as the job could be tried again.
          row.retryable = row.input !== undefined && row.state !== 'done';
          delete row.input;
        });
      });
  }
}
