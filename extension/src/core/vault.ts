// The vault: account creation, sign-in, unlock, lock and auto-lock. The passphrase and the
// master key are never stored; the KEK is a non-extractable AES-KW CryptoKey held in memory and,
// while unlocked, in IndexedDB so that a restarted service worker can still use it
// (CRYPTO.md section 6). Every lock path deletes it from both places.
import { browser } from 'wxt/browser';
import { deriveAccountKeys, isCryptoError, newKdfParams, normalizeEmail, unwrapDek, type KdfParams } from '@byok/shared';
import type { Table } from 'dexie';
import type { ByokDb } from '../db';
import type { ApiClient } from './api-client';
import type { LoginResponse } from './companion-types';
import { checkedKdf } from './checked-kdf';
import { ExtensionError } from './errors';
import type { AccountInfo, SettingsStore } from './settings';
import type { TokenStore } from './token-store';

export const AUTO_LOCK_ALARM = 'byok-auto-lock';
const TOUCH_GRANULARITY_MS = 15_000;

export type VaultState = 'no-account' | 'locked' | 'unlocked';

export interface VaultDeps {
  db: ByokDb;
  api: ApiClient;
  tokens: TokenStore;
  settings: SettingsStore;
  now?: () => number;
  /** Test seam: KDF parameters for new accounts (tests use the minimum iterations). */
  newKdf?: () => KdfParams;
}

export interface Unlocked {
  kek: CryptoKey;
  userId: string;
}

/** Whether `kek` unwraps `wrappedDek` (the data key is zeroed at once); other errors are thrown. */
export async function kekOpens(kek: CryptoKey, wrappedDek: string): Promise<boolean> {
  try {
    (await unwrapDek(kek, wrappedDek)).fill(0);
    return true;
  } catch (error) {
    if (isCryptoError(error)) return false;
    throw error;
  }
}

export class Vault {
  private memory: Unlocked | null = null;

  constructor(private readonly deps: VaultDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  async state(): Promise<VaultState> {
    const account = await this.deps.settings.get('account');
    if (!account) return 'no-account';
    return (await this.current()) ? 'unlocked' : 'locked';
  }

  async createAccount(input: { email: string; passphrase: string; inviteCode?: string | undefined }): Promise<AccountInfo> {
    const email = normalizeEmail(input.email);
    const kdf = this.deps.newKdf?.() ?? newKdfParams();
    const { authProof, kek } = await deriveAccountKeys(input.passphrase, kdf);
    const answer = await this.deps.api.register({ email, authProof, kdf, inviteCode: input.inviteCode || undefined });
    return this.begin(answer, kdf, kek);
  }

  async signIn(input: { email: string; passphrase: string }): Promise<AccountInfo> {
    const email = normalizeEmail(input.email);
    const kdf = checkedKdf(await this.deps.api.prelogin(email));
    const { authProof, kek } = await deriveAccountKeys(input.passphrase, kdf);
    const answer = await this.deps.api.login({ email, authProof }).catch(wrongPassphrase);
    return this.begin(answer, kdf, kek);
  }

  /**
   * Unlock the signed-in account. Online, the companion checks the passphrase (and renews the
   * session); offline, it is checked by unwrapping a cached data key, so that nothing is ever
   * sealed under a mistyped passphrase.
   */
  async unlock(passphrase: string): Promise<AccountInfo> {
    const account = await this.deps.settings.get('account');
    if (!account) throw new ExtensionError('signed_out', 'Sign in first.');
    let kdf = checkedKdf(account.kdf);
    try {
      kdf = checkedKdf(await this.deps.api.prelogin(account.email));
    } catch (error) {
      if (error instanceof ExtensionError && error.code === 'kdf_rejected') throw error;
      // Offline: the cached parameters (checked above) are the ones this account was made with.
    }
    const { authProof, kek } = await deriveAccountKeys(passphrase, kdf);
    try {
      const answer = await this.deps.api.login({ email: account.email, authProof }).catch(wrongPassphrase);
      return await this.begin(answer, kdf, kek);
    } catch (error) {
      if (!(error instanceof ExtensionError) || error.code !== 'companion_unreachable') throw error;
    }
    await this.checkOffline(kek);
    await this.keep({ kek, userId: account.userId }, true);
    return account;
  }

  /**
   * After an offline unlock, once the companion answers again: a passphrase changed on another
   * device meanwhile shows as new KDF parameters (every change makes new ones). Then this KEK is the
   * old passphrase's, and what it seals would not open anywhere else, so the vault locks (true);
   * unlocking again needs the new passphrase. False when confirmed, or not known yet (unreachable).
   */
  async confirmOfflineUnlock(): Promise<boolean> {
    const row = await this.deps.db.vaultSession.get('current');
    const account = await this.deps.settings.get('account');
    if (!row?.offline || !account) return false;
    let current: KdfParams;
    try {
      current = checkedKdf(await this.deps.api.prelogin(account.email));
    } catch {
      return false;
    }
    if (sameKdf(current, checkedKdf(account.kdf))) {
      await this.deps.db.vaultSession.update('current', { offline: false });
      return false;
    }
    await this.lock();
    await this.deps.settings.set('lockNotice', 'Your passphrase was changed on another device. Unlock with the new one; keys saved since then wait in the outbox.');
    return true;
  }

  private async checkOffline(kek: CryptoKey): Promise<void> {
    const cached = await this.deps.db.keys.filter((key) => key.scope === 'user' && typeof key.wrappedDek === 'string').first();
    if (!cached?.wrappedDek) {
      throw new ExtensionError('companion_unreachable', 'The companion cannot be reached to check the passphrase. Start it and try again.');
    }
    if (!(await kekOpens(kek, cached.wrappedDek))) throw new ExtensionError('wrong_passphrase', 'That passphrase does not unlock this account.');
  }

  private async begin(answer: LoginResponse, kdf: KdfParams, kek: CryptoKey): Promise<AccountInfo> {
    await this.deps.tokens.set({ accessToken: answer.accessToken, refreshToken: answer.refreshToken });
    // Databases from before `cachedFor` know their user from the account still signed in.
    const cachedFor = (await this.deps.settings.get('cachedFor')) ?? (await this.deps.settings.get('account'))?.userId ?? null;
    if (cachedFor !== null && cachedFor !== answer.user.id) {
      // Another account on this browser, now or before a sign-out: nothing cached for the previous
      // one may leak into it, and its queued uploads must never be sent with this one's token.
      const { db } = this.deps;
      await this.dropCached([db.keys, db.usage, db.outbox, db.history, db.retryInputs]);
    }
    await this.deps.settings.set('cachedFor', answer.user.id);
    const account: AccountInfo = {
      email: answer.user.email,
      userId: answer.user.id,
      orgId: answer.org.id,
      orgName: answer.org.name,
      role: answer.user.role,
      plan: answer.org.plan,
      kdf,
    };
    await this.deps.settings.set('account', account);
    await this.keep({ kek, userId: account.userId });
    return account;
  }

  private async keep(unlocked: Unlocked, offline = false): Promise<void> {
    this.memory = unlocked;
    await this.deps.settings.set('lockNotice', null);
    const lockAt = this.now() + (await this.autoLockMs());
    await this.deps.db.vaultSession.put({ id: 'current', kek: unlocked.kek, userId: unlocked.userId, unlockedAt: this.now(), lockAt, offline });
    await browser.alarms.create(AUTO_LOCK_ALARM, { when: lockAt });
  }

  private async autoLockMs(): Promise<number> {
    return Math.max(1, await this.deps.settings.get('autoLockMinutes')) * 60_000;
  }

  /** The unlocked vault, restored from IndexedDB after a worker restart, or null when locked. */
  async current(): Promise<Unlocked | null> {
    const row = await this.deps.db.vaultSession.get('current');
    if (!row) {
      this.memory = null;
      return null;
    }
    if (row.lockAt <= this.now()) {
      await this.lock();
      return null;
    }
    this.memory ??= { kek: row.kek, userId: row.userId };
    return this.memory;
  }

  async require(): Promise<Unlocked> {
    const unlocked = await this.current();
    if (!unlocked) throw new ExtensionError('locked', 'Unlock the vault first.');
    return unlocked;
  }

  /**
   * The auto-lock alarm fired: lock when the deadline has passed, else (activity moved it, or
   * the alarm came early) arm it again for the current deadline.
   */
  async enforceAutoLock(): Promise<void> {
    const row = await this.deps.db.vaultSession.get('current');
    if (!row) return;
    if (row.lockAt <= this.now() + 1_000) await this.lock();
    else await browser.alarms.create(AUTO_LOCK_ALARM, { when: row.lockAt });
  }

  /** User activity: push the auto-lock deadline back. */
  async touch(): Promise<void> {
    await this.moveDeadline(false);
  }

  /** A new auto-lock delay: the deadline is now plus the delay, earlier or later than before. */
  async restartAutoLock(): Promise<void> {
    await this.moveDeadline(true);
  }

  private async moveDeadline(earlierToo: boolean): Promise<void> {
    const row = await this.deps.db.vaultSession.get('current');
    if (!row || row.lockAt <= this.now()) return;
    const lockAt = this.now() + (await this.autoLockMs());
    // Bursts of messages (a popup opening) need not rewrite the deadline each time.
    if (earlierToo ? lockAt === row.lockAt : lockAt - row.lockAt < TOUCH_GRANULARITY_MS) return;
    await this.deps.db.vaultSession.update('current', { lockAt });
    await browser.alarms.create(AUTO_LOCK_ALARM, { when: lockAt });
  }

  /**
   * After a passphrase change: the new KEK replaces the old one in memory and IndexedDB, keeping
   * the auto-lock deadline (a change is not a new unlock).
   */
  async replaceKek(unlocked: Unlocked): Promise<void> {
    const row = await this.deps.db.vaultSession.get('current');
    if (!row) throw new ExtensionError('locked', 'The vault locked during the change. Unlock it with the new passphrase.');
    this.memory = unlocked;
    await this.deps.db.vaultSession.put({ ...row, kek: unlocked.kek, userId: unlocked.userId });
  }

  async lock(): Promise<void> {
    this.memory = null;
    await this.deps.db.vaultSession.clear();
    await browser.alarms.clear(AUTO_LOCK_ALARM);
  }

  /**
   * Forget the account on this browser: lock, end the session, drop cached keys, usage and history.
   * Keys waiting in the outbox stay (sealed) for this account's next sign-in; another account's
   * sign-in drops them (begin).
   */
  async signOut(): Promise<void> {
    await this.lock();
    await this.deps.api.logout().catch(() => undefined);
    await this.deps.tokens.clear();
    await this.deps.settings.set('account', null);
    await this.deps.settings.set('me', null);
    const { db } = this.deps;
    await this.dropCached([db.keys, db.usage, db.history, db.retryInputs]);
  }

  /** Empties `tables` in one transaction: all of them or, on failure, none. */
  private async dropCached(tables: Table[]): Promise<void> {
    await this.deps.db.transaction('rw', tables, () => Promise.all(tables.map((table) => table.clear())));
  }
}

function wrongPassphrase(error: unknown): never {
  if (error instanceof ExtensionError && error.code === 'invalid_credentials') {
    throw new ExtensionError('invalid_credentials', 'Wrong email or passphrase.', { status: 401 });
  }
  throw error;
}

function sameKdf(left: KdfParams, right: KdfParams): boolean {
  return left.name === right.name && left.iterations === right.iterations && left.salt === right.salt;
}
