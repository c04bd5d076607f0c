// Grants for one request (CRYPTO.md section 3): for each personal key the route may use, unwrap
// its data key with the KEK, wrap it into a JWE for the companion's current X25519 key, and drop
// the data key at once. Grants live only for the request that carries them.
import { createGrant, MAX_GRANTS_PER_REQUEST, unwrapDek, type GrantKeySet } from '@byok/shared';
import type { CachedKey } from '../db';
import type { ApiClient } from './api-client';
import { ExtensionError } from './errors';
import type { Unlocked } from './vault';

/** Grant keys rotate daily; a few minutes of caching saves a round trip per call. */
const KEY_SET_TTL_MS = 5 * 60_000;

/** A personal key a grant can release: sealed (not keyless) and not marked invalid. */
export function grantable(key: CachedKey): boolean {
  return key.scope === 'user' && Boolean(key.wrappedDek) && key.status !== 'invalid';
}

export class GrantMaker {
  private cached: { set: GrantKeySet; at: number } | null = null;

  constructor(private readonly api: ApiClient) {}

  private async keySet(): Promise<GrantKeySet> {
    if (this.cached && Date.now() - this.cached.at < KEY_SET_TTL_MS) return this.cached.set;
    const set = await this.api.grantKeys();
    this.cached = { set, at: Date.now() };
    return set;
  }

  /** The companion rejected a grant as undecryptable: its keys may have rotated early. */
  forgetKeySet(): void {
    this.cached = null;
  }

  /**
   * Sends a request with grants made by `make`. When the companion refuses them (`grant_invalid`),
   * the cached key set may be one its keys have left (an early rotation): it is dropped, and the
   * request is sent once more with grants made afresh. A refusal before routing is not stored for
   * the request id, so the same id may be sent again.
   */
  async sendWithGrants<G, T>(make: () => Promise<G>, send: (grants: G) => Promise<T>): Promise<T> {
    const cachedBefore = this.cached !== null;
    try {
      return await send(await make());
    } catch (error) {
      if (!(error instanceof ExtensionError) || error.code !== 'grant_invalid' || !cachedBefore) throw error;
      this.forgetKeySet();
      return send(await make());
    }
  }

  async grantFor(vault: Unlocked, secret: CachedKey, purpose: 'enrich' | 'verify'): Promise<string> {
    if (!secret.wrappedDek) throw new Error('only personal keys carry a wrapped data key');
    const keySet = await this.keySet();
    const dek = await unwrapDek(vault.kek, secret.wrappedDek);
    try {
      return await createGrant({ keySet, userId: vault.userId, secretId: secret.id, dek, purpose });
    } finally {
      dek.fill(0);
    }
  }

  /** One grant per personal key that may serve this call, in the user's order, at most 8. */
  async grantsForRoute(vault: Unlocked, keys: CachedKey[], provider?: string): Promise<string[]> {
    const usable = keys
      .filter(grantable)
      .filter((key) => provider === undefined || key.provider === provider)
      .sort((a, b) => a.position - b.position)
      .slice(0, MAX_GRANTS_PER_REQUEST);
    const grants: string[] = [];
    for (const key of usable) grants.push(await this.grantFor(vault, key, 'enrich'));
    return grants;
  }
}
