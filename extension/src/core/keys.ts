// Personal keys: seal in the background (the popup hands over the plaintext once), upload or
// queue in the outbox, keep the cached list (metadata and wrappedDek only), reorder, verify,
// remove. The plaintext key lives only inside `save` and is never stored or sent unsealed.
import { computeHint, getProvider, matchesKeyFormat, normalizeBaseUrl, sealApiKey, secretAad } from '@byok/shared';
import type { ByokDb, CachedKey, OutboxItem } from '../db';
import type { ApiClient } from './api-client';
import type { VerifyResult } from './companion-types';
import { ExtensionError, isRetryable } from './errors';
import { byKeyListOrder } from './key-order';
import { recordOwnWrite, replaceCachedKeys, whatOvertook } from './key-cache';
import type { GrantMaker } from './grants';
import type { Outbox } from './outbox';
import type { Vault } from './vault';

/** A rotation refused because the key changed on another device since this one listed it. */
export const ROTATION_OVERTAKEN_NOW =
  'This key was changed on another device (rotated or edited) after this form was opened, so it was not rotated. Save again to replace it with the key you entered here.';
/** A rotation refused because the key was removed on another device since this one listed it. */
export const ROTATION_TARGET_REMOVED_NOW =
  'This key was removed on another device after this form was opened, so it was not rotated. Save again to store the key you entered here as a new key.';

export interface SaveKeyInput {
  /** Present for a rotation: the same secret id gets a new seal. */
  secretId?: string | undefined;
  provider: string;
  label: string;
  apiKey: string;
  defaultModel?: string | undefined;
  baseUrl?: string | undefined;
  /** On a plan with one personal provider: the user agreed to replace the other provider's key. */
  replace?: boolean | undefined;
}

export interface SaveKeyResult {
  state: 'stored' | 'queued';
  secretId: string;
}

export interface KeyList {
  keys: CachedKey[];
  outbox: OutboxItem[];
  /** False when the list comes from the cache because the companion is unreachable. */
  fresh: boolean;
}

export interface KeyServiceDeps {
  db: ByokDb;
  api: ApiClient;
  vault: Vault;
  grants: GrantMaker;
  outbox: Outbox;
}

export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  async list(): Promise<KeyList> {
    let fresh = true;
    try {
      await this.refresh();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      fresh = false;
    }
    const keys = await this.cached();
    return { keys, outbox: await this.deps.outbox.list(), fresh };
  }

  async cached(): Promise<CachedKey[]> {
    const keys = await this.deps.db.keys.toArray();
    return keys.sort(byKeyListOrder);
  }

  /** Replace the cache with the companion's list (it is the source of truth). */
  async refresh(): Promise<CachedKey[]> {
    const secrets = await this.deps.api.listSecrets();
    await replaceCachedKeys(this.deps.db, secrets);
    return secrets;
  }

  async save(input: SaveKeyInput): Promise<SaveKeyResult> {
    const entry = getProvider(input.provider);
    if (!entry || entry.id === 'builtin') throw new ExtensionError('invalid_input', 'Choose a provider.');
    const label = input.label.trim();
    if (!label) throw new ExtensionError('invalid_input', 'Give the key a label.');
    // A provider that runs without a key (a local Ollama) may be saved as a keyless entry.
    const keyless = !entry.keyRequired && input.apiKey === '';
    if (!keyless && (!input.apiKey || !matchesKeyFormat(entry.id, input.apiKey))) {
      throw new ExtensionError('invalid_input', `This does not look like a ${entry.name} key.`);
    }
    let baseUrl = '';
    if (entry.baseUrl === 'required') {
      const normalized = normalizeBaseUrl(input.baseUrl ?? '');
      if (!normalized) throw new ExtensionError('invalid_input', 'Enter the base URL as http(s)://host[:port][/path].');
      baseUrl = normalized;
    }
    const unlocked = await this.deps.vault.require();
    const secretId = input.secretId ?? crypto.randomUUID();
    const existing = input.secretId ? await this.deps.db.keys.get(input.secretId) : undefined;
    if (existing && existing.provider !== entry.id) throw new ExtensionError('conflict', 'A rotation keeps the provider of the key.');
    const sealed = keyless
      ? undefined
      : await sealApiKey({
          apiKey: input.apiKey,
          kek: unlocked.kek,
          aad: secretAad({ userId: unlocked.userId, secretId, provider: entry.id, baseUrl }),
        });
    const hint = keyless ? undefined : computeHint(input.apiKey, entry.keyPrefixes);
    const defaultModel = input.defaultModel?.trim() || undefined;
    // `replace` (one-provider plans, after the user agreed): the companion deletes the other
    // providers' keys in the same transaction as this store.
    const replace = input.replace === true;
    const body = { provider: entry.id, label, defaultModel, baseUrl: baseUrl || undefined, ...(hint && sealed ? { hint, sealed } : {}), ...(replace ? { replace } : {}) };
    // A rotation replaces the key as this device last listed it, never a newer one from elsewhere.
    const ifMatch = existing?.version;
    const waiting = (await this.deps.outbox.list()).some((item) => item.state === 'pending');
    try {
      // Keep the order of saves: while anything waits, this one waits behind it.
      if (waiting) throw new ExtensionError('companion_unreachable', 'Earlier keys are still waiting to upload.');
      const secret = await this.deps.api.putSecret(secretId, body, ifMatch);
      await recordOwnWrite(this.deps.db, secret, { replaced: ifMatch });
      if (replace) await this.refresh().catch(() => undefined);
      return { state: 'stored', secretId };
    } catch (error) {
      if (ifMatch !== undefined && error instanceof ExtensionError && error.code === 'conflict') {
        // The key is listed as it is now, so that saving again is a deliberate choice over that.
        const overtaken = await whatOvertook(this.deps.db, this.deps.api, secretId, ifMatch).catch(() => null);
        if (overtaken !== null) throw new ExtensionError('conflict', overtaken.now === undefined ? ROTATION_TARGET_REMOVED_NOW : ROTATION_OVERTAKEN_NOW, { status: 409 });
      }
      if (!isRetryable(error)) throw error;
      await this.deps.outbox.add({
        secretId,
        kind: input.secretId ? 'rotate' : 'store',
        provider: entry.id,
        label,
        defaultModel: defaultModel ?? null,
        baseUrl,
        hint,
        sealed,
        replace,
        ...(ifMatch === undefined ? {} : { ifMatch }),
      });
      return { state: 'queued', secretId };
    }
  }

  async remove(id: string): Promise<void> {
    // With uploads held: one under way finishes first, so it cannot bring the key back after the
    // DELETE, and a queued upload for this id (a rotation saved offline) is dropped with the key.
    await this.deps.outbox.hold(async () => {
      await this.deps.api.deleteSecret(id);
      await this.deps.db.transaction('rw', this.deps.db.keys, this.deps.db.outbox, async () => {
        await this.deps.db.keys.delete(id);
        await this.deps.db.outbox.where('secretId').equals(id).delete();
      });
    });
  }

  async reorder(ids: string[]): Promise<void> {
    await this.deps.api.reorderSecrets(ids);
    await this.deps.db.transaction('rw', this.deps.db.keys, async () => {
      for (const [position, id] of ids.entries()) await this.deps.db.keys.update(id, { position });
    });
  }

  async verify(id: string): Promise<VerifyResult> {
    const unlocked = await this.deps.vault.require();
    const secret = await this.deps.db.keys.get(id);
    if (!secret || secret.scope !== 'user') throw new ExtensionError('not_found', 'This key is not in your list any more.');
    // A keyless entry has nothing to release: it is verified without a grant.
    const result = secret.keyless
      ? await this.deps.api.verifySecret(id, undefined)
      : await this.deps.grants.sendWithGrants(
          () => this.deps.grants.grantFor(unlocked, secret, 'verify'),
          (grant) => this.deps.api.verifySecret(id, grant),
        );
    await this.refresh().catch(() => undefined);
    return result;
  }
}
