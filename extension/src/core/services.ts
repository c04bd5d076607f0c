// Composition root of the background: builds every core service with its dependencies passed
// in, so tests build the same graph over fake-indexeddb, WXT's fake browser and a real server.
import { browser } from 'wxt/browser';
import type { KdfParams } from '@byok/shared';
import { ByokDb } from '../db';
import { AdminService } from './admin';
import { ApiClient } from './api-client';
import { EnrichmentRunner } from './enrichment';
import { GrantMaker } from './grants';
import { KeyService } from './keys';
import type { EventMessage } from './messages';
import { Outbox, type DrainReport } from './outbox';
import { PassphraseChanger } from './passphrase';
import { SettingsStore } from './settings';
import { sessionTokenStore, type TokenStore } from './token-store';
import { UsageService } from './usage';
import { kekOpens, Vault } from './vault';

export interface Services {
  db: ByokDb;
  settings: SettingsStore;
  tokens: TokenStore;
  api: ApiClient;
  vault: Vault;
  grants: GrantMaker;
  outbox: Outbox;
  keys: KeyService;
  usage: UsageService;
  enrichment: EnrichmentRunner;
  admin: AdminService;
  passphrase: PassphraseChanger;
  broadcast: (event: EventMessage) => void;
  /**
   * Uploads what waits in the outbox (`force`: even before the next backoff time); when something
   * went up, refreshes the key cache and then tells open pages, which list the keys again.
   */
  drainOutbox: (force?: boolean) => Promise<DrainReport>;
}

export interface ServiceOptions {
  db?: ByokDb;
  fetch?: typeof fetch;
  tokens?: TokenStore;
  now?: () => number;
  newKdf?: () => KdfParams;
}

export function createServices(options: ServiceOptions = {}): Services {
  const db = options.db ?? new ByokDb();
  const settings = new SettingsStore(db);
  const tokens = options.tokens ?? sessionTokenStore();
  const api = new ApiClient({
    baseUrl: async () => (await settings.get('companionUrl')).replace(/\/+$/, ''),
    tokens,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const vault = new Vault({ db, api, tokens, settings, ...(options.now ? { now: options.now } : {}), ...(options.newKdf ? { newKdf: options.newKdf } : {}) });
  const grants = new GrantMaker(api);
  const outbox = new Outbox(db, api, options.now, async (wrappedDek) => {
    const unlocked = await vault.current();
    return unlocked ? kekOpens(unlocked.kek, wrappedDek) : null;
  });
  const keys = new KeyService({ db, api, vault, grants, outbox });
  const broadcast = (event: EventMessage): void => {
    // Nobody listening (no page open) is normal: the promise rejects and that is fine.
    Promise.resolve(browser.runtime.sendMessage(event)).catch(() => undefined);
  };
  const enrichment = new EnrichmentRunner({ db, api, vault, keys, grants, notify: (id) => broadcast({ channel: 'byok-event', event: 'history', id }) });
  const usage = new UsageService(db, api);
  const admin = new AdminService(api, vault);
  const passphrase = new PassphraseChanger({ db, api, vault, settings, outbox, ...(options.newKdf ? { newKdf: options.newKdf } : {}) });
  const drainOutbox = async (force = false): Promise<DrainReport> => {
    // A vault unlocked offline is confirmed first: a KEK from a passphrase since changed elsewhere
    // locks it, and the queued keys wait for the new passphrase instead of going up under the old.
    await vault.confirmOfflineUnlock();
    const report = await outbox.drain(force);
    if (report.uploaded.length > 0) await keys.refresh().catch(() => undefined);
    // Pages show what went up, and what was refused and why (a key changed elsewhere included).
    if (report.uploaded.length > 0 || report.failed.length > 0) broadcast({ channel: 'byok-event', event: 'outbox' });
    return report;
  };
  return { db, settings, tokens, api, vault, grants, outbox, keys, usage, enrichment, admin, passphrase, broadcast, drainOutbox };
}
