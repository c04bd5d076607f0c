// Test support: the background's service graph over fake-indexeddb, WXT's fake browser and the
// fake companion, with a unique database per test and a controllable clock.
import { fakeBrowser } from 'wxt/testing';
import { ByokDb } from '../db';
import { createServices, type Services } from '../core/services';
import type { TokenStore, Tokens } from '../core/token-store';
import { createFakeCompanion, type FakeCompanion } from './fake-companion';

export const PASSPHRASE = 'correct horse battery staple';
export const EMAIL = 'ada@example.com';

export interface Harness {
  services: Services;
  companion: FakeCompanion;
  clock: { now: number };
  tokens: TokenStore & { value: Tokens | null };
  dbName: string;
  /** A new service graph over the same database: what a service worker restart looks like. */
  restart(): Services;
}

export function memoryTokens(): TokenStore & { value: Tokens | null } {
  const store = {
    value: null as Tokens | null,
    async get() {
      return store.value;
    },
    async set(tokens: Tokens) {
      store.value = tokens;
    },
    async clear() {
      store.value = null;
    },
  };
  return store;
}

export async function createHarness(): Promise<Harness> {
  const companion = await createFakeCompanion();
  const clock = { now: Date.now() };
  const tokens = memoryTokens();
  const dbName = `byok-test-${crypto.randomUUID()}`;
  const build = () => createServices({ db: new ByokDb(dbName), fetch: companion.fetch, tokens, now: () => clock.now });
  return { services: build(), companion, clock, tokens, dbName, restart: build };
}

/** A fresh fake browser and a harness whose account is created and unlocked (most tests start here). */
export async function createSignedInHarness(): Promise<Harness> {
  fakeBrowser.reset();
  const harness = await createHarness();
  await harness.services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
  return harness;
}

/** Every row of every table, serialized, to search for things that must never be stored. */
export async function dumpDatabase(db: ByokDb): Promise<string> {
  const parts: string[] = [];
  for (const table of db.tables) {
    const rows = await table.toArray();
    parts.push(JSON.stringify(rows, (_key, value: unknown) => (value instanceof CryptoKey ? '[CryptoKey]' : value)));
  }
  return parts.join('\n');
}
