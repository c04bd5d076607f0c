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
  /** What was sent, kept until the job is done so that "Try again" can send it again. */
  input?: { kind: HistoryEntry['kind']; text: string; title?: string | undefined; url?: string | undefined; contentType?: string | undefined } | undefined;
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

export class ByokDb extends Dexie {
  keys!: Table<CachedKey, string>;
  outbox!: Table<OutboxItem, number>;
  history!: Table<HistoryEntry, string>;
  settings!: Table<SettingRow, string>;
  vaultSession!: Table<VaultSessionRow, string>;
  usage!: Table<UsageCacheEntry, string>;

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
  }
}
