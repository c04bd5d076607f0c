// Non-secret settings kept in the Dexie `settings` table: the companion URL, the auto-lock delay
// and the signed-in account's public facts (email, ids, role, plan, KDF parameters).
import type { KdfParams } from '@byok/shared';
import type { ByokDb } from '../db';
import type { MeResponse } from './companion-types';

export const DEFAULT_COMPANION_URL = 'http://127.0.0.1:8787';
export const DEFAULT_AUTO_LOCK_MINUTES = 15;

export interface AccountInfo {
  email: string;
  userId: string;
  orgId: string;
  orgName: string;
  role: 'owner' | 'admin' | 'member';
  plan: string;
  kdf: KdfParams;
}

export interface Settings {
  companionUrl: string;
  autoLockMinutes: number;
  account: AccountInfo | null;
  /** The last `GET /v1/me` (role, plan, effective policy) so the popup works offline. */
  me: MeResponse | null;
  /**
   * The user whose keys, usage, outbox and history are cached on this browser. Unlike `account`,
   * it outlives a sign-out, so that the next account to sign in knows whether they are its own.
   */
  cachedFor: string | null;
  /** Why the vault locked itself, when it was not the user or the idle timer (shown until the next unlock). */
  lockNotice: string | null;
}

const DEFAULTS: Settings = {
  companionUrl: DEFAULT_COMPANION_URL,
  autoLockMinutes: DEFAULT_AUTO_LOCK_MINUTES,
  account: null,
  me: null,
  cachedFor: null,
  lockNotice: null,
};

export class SettingsStore {
  constructor(private readonly db: ByokDb) {}

  async get<K extends keyof Settings>(key: K): Promise<Settings[K]> {
    const row = await this.db.settings.get(key);
    return row === undefined ? DEFAULTS[key] : (row.value as Settings[K]);
  }

  async set<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
    await this.db.settings.put({ key, value });
  }

  async all(): Promise<Settings> {
    return {
      companionUrl: await this.get('companionUrl'),
      autoLockMinutes: await this.get('autoLockMinutes'),
      account: await this.get('account'),
      me: await this.get('me'),
      cachedFor: await this.get('cachedFor'),
      lockNotice: await this.get('lockNotice'),
    };
  }
}
