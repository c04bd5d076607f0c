// The popup's first paint: what the extension last knew (account, lock state, cached key list,
// outbox, cached usage) read straight from its IndexedDB, without Dexie and without a round trip
// to the background worker. It only decides what to show first; every action still goes through
// the background, which refreshes this picture from the companion right after.
import type { CachedKey, OutboxItem, SettingRow, UsageCacheEntry, VaultSessionRow } from '../../db';
import type { MeResponse } from '../../core/companion-types';
import type { KeyList } from '../../core/keys';
import { byKeyListOrder } from '../../core/key-order';
import type { StatusView, UsageView } from '../../core/messages';
import { DEFAULT_AUTO_LOCK_MINUTES, DEFAULT_COMPANION_URL, type AccountInfo } from '../../core/settings';
import { usageViewFrom, currentMonth } from '../../core/usage-view';

// Kept in step with db.ts (DB_NAME) by a unit test; importing db.ts here would pull Dexie in.
const DB_NAME = 'byok-companion';

export interface PopupSnapshot {
  status: StatusView;
  keys: KeyList;
  me: MeResponse | null;
  usage: UsageView | null;
}

type StoreRows = {
  settings: SettingRow[];
  vaultSession: VaultSessionRow[];
  keys: CachedKey[];
  outbox: OutboxItem[];
  usage: UsageCacheEntry[];
};

/** Opens the database only if it exists (never creates it: Dexie owns the schema). */
function openExisting(name: string): Promise<IDBDatabase | null> {
  return new Promise((resolve) => {
    let request: IDBOpenDBRequest;
    try {
      request = indexedDB.open(name);
    } catch {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => {
      // No database yet (first run): cancel the creation and let the background make it.
      request.transaction?.abort();
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
}

function readAll<K extends keyof StoreRows>(db: IDBDatabase, names: K[]): Promise<Pick<StoreRows, K> | null> {
  return new Promise((resolve) => {
    const present = names.filter((name) => db.objectStoreNames.contains(name));
    if (present.length !== names.length) {
      resolve(null);
      return;
    }
    const tx = db.transaction(present, 'readonly');
    const out = {} as Pick<StoreRows, K>;
    for (const name of present) {
      const request = tx.objectStore(name).getAll();
      request.onsuccess = () => {
        out[name] = request.result as StoreRows[K];
      };
    }
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => resolve(null);
    tx.onabort = () => resolve(null);
  });
}

/** The snapshot, or null when there is nothing to show yet (first run, old schema, any error). */
export async function readSnapshot(options: { now?: number; name?: string } = {}): Promise<PopupSnapshot | null> {
  const now = options.now ?? Date.now();
  const db = await openExisting(options.name ?? DB_NAME);
  if (!db) return null;
  try {
    const rows = await readAll(db, ['settings', 'vaultSession', 'keys', 'outbox', 'usage']);
    if (!rows) return null;
    const settings = new Map(rows.settings.map((row) => [row.key, row.value]));
    const account = (settings.get('account') as AccountInfo | null | undefined) ?? null;
    const session = rows.vaultSession.find((row) => row.id === 'current');
    // Expired sessions count as locked here; the background deletes them when it wakes.
    const unlocked = session !== undefined && session.lockAt > now;
    const status: StatusView = {
      state: !account ? 'no-account' : unlocked ? 'unlocked' : 'locked',
      account,
      companionUrl: (settings.get('companionUrl') as string | undefined) ?? DEFAULT_COMPANION_URL,
      autoLockMinutes: (settings.get('autoLockMinutes') as number | undefined) ?? DEFAULT_AUTO_LOCK_MINUTES,
      outboxWaiting: rows.outbox.length,
      lockNotice: (settings.get('lockNotice') as string | null | undefined) ?? null,
    };
    const keys = [...rows.keys].sort(byKeyListOrder);
    // getAll() answers in primary-key order, and the outbox's key is its queue number.
    const outbox = rows.outbox;
    const { month } = currentMonth(new Date(now));
    const cached = new Map(rows.usage.map((entry) => [entry.id, entry.report]));
    const usage = cached.has(`${month}|provider`)
      ? usageViewFrom(month, cached.get(`${month}|provider`), cached.get(`${month}|source`), cached.get(`${month}|day`), false)
      : null;
    return {
      status,
      keys: { keys, outbox, fresh: false },
      me: (settings.get('me') as MeResponse | null | undefined) ?? null,
      usage,
    };
  } finally {
    db.close();
  }
}

export { DB_NAME as SNAPSHOT_DB_NAME };
