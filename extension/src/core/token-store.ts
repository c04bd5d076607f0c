// Access and refresh tokens live only in `storage.session` (memory, cleared when the browser
// quits) so that a worker restart keeps the session but nothing reaches the disk.
import { browser } from 'wxt/browser';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface TokenStore {
  get(): Promise<Tokens | null>;
  set(tokens: Tokens): Promise<void>;
  clear(): Promise<void>;
}

const KEY = 'byok.tokens';

export function sessionTokenStore(): TokenStore {
  return {
    async get() {
      const stored = await browser.storage.session.get(KEY);
      const value = stored[KEY] as Tokens | undefined;
      return value && typeof value.accessToken === 'string' && typeof value.refreshToken === 'string' ? value : null;
    },
    async set(tokens) {
      await browser.storage.session.set({ [KEY]: tokens });
    },
    async clear() {
      await browser.storage.session.remove(KEY);
    },
  };
}
