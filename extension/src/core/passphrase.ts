// Passphrase change (CRYPTO.md section 1): derive new account keys with fresh KDF parameters,
// re-wrap every personal data key under the new KEK, and send it all to the companion in one
// request. The companion applies it atomically; only then is the KEK in IndexedDB replaced and
// the cached wrappedDek values (key list and outbox) updated. Ciphertexts never change.
import { deriveAccountKeys, isCryptoError, newKdfParams, normalizeEmail, rewrapDek, type KdfParams } from '@byok/shared';
import type { ByokDb, OutboxItem } from '../db';
import type { PassphraseChangeRequest } from '@byok/shared/wire/accounts';
import type { ApiClient } from './api-client';
import type { Outbox } from './outbox';
import type { SecretView } from './companion-types';
import { checkedKdf } from './checked-kdf';
import { ExtensionError } from './errors';
import type { SettingsStore } from './settings';
import { MIN_PASSPHRASE_LENGTH } from './passphrase-rules';
import type { Vault } from './vault';

/** Each personal key's data key, re-wrapped under the new KEK (the request's `rewrapped`). */
type Rewrapped = PassphraseChangeRequest['rewrapped'];

export interface PassphraseChangeDeps {
  db: ByokDb;
  api: ApiClient;
  vault: Vault;
  settings: SettingsStore;
  outbox: Outbox;
  /** Test seam: KDF parameters for the new passphrase (tests use the minimum iterations). */
  newKdf?: () => KdfParams;
}

export interface PassphraseChangeResult {
  /** How many personal keys were re-wrapped on the companion. */
  rewrapped: number;
  /** How many keys waiting in the outbox were re-wrapped on this device. */
  outbox: number;
}

export class PassphraseChanger {
  private running: Promise<PassphraseChangeResult> | null = null;

  constructor(private readonly deps: PassphraseChangeDeps) {}

  /** One change at a time: a second click while one runs waits for the first. */
  change(current: string, next: string): Promise<PassphraseChangeResult> {
    this.running ??= this.deps.outbox.hold(() => this.run(current, next)).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(current: string, next: string): Promise<PassphraseChangeResult> {
    if (next.length < MIN_PASSPHRASE_LENGTH) {
      throw new ExtensionError('invalid_input', `Choose a new passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters.`);
    }
    if (next === current) throw new ExtensionError('invalid_input', 'The new passphrase is the same as the current one.');
    const account = await this.deps.settings.get('account');
    if (!account) throw new ExtensionError('signed_out', 'Sign in first.');
    const unlocked = await this.deps.vault.require();
    // The companion's current parameters; a downgrade offer is refused as at sign-in.
    const currentKdf = checkedKdf(await this.deps.api.prelogin(normalizeEmail(account.email)));
    const old = await deriveAccountKeys(current, currentKdf);
    const newKdf = this.deps.newKdf?.() ?? newKdfParams();
    const fresh = await deriveAccountKeys(next, newKdf);

    let attempt = 0;
    for (;;) {
      // Keyless entries (local providers stored without a key) hold no data key to re-wrap.
      const personal = (await this.deps.api.listSecrets()).filter((secret) => secret.scope === 'user' && typeof secret.wrappedDek === 'string');
      const rewrapped = await rewrapAll(old.kek, fresh.kek, personal);
      try {
        await this.deps.api.changePassphrase({ kdf: newKdf, authProof: old.authProof, newAuthProof: fresh.authProof, rewrapped });
      } catch (error) {
        // 409: the key set changed between our listing and the change (another device). Nothing
        // was applied; list again and retry once, then let the user decide.
        if (error instanceof ExtensionError && error.code === 'conflict') {
          attempt += 1;
          if (attempt < 2) continue;
          throw new ExtensionError(
            'conflict',
            'Your keys kept changing on another device while the passphrase was being changed. Nothing was changed: your current passphrase still works. Try again when the other device is done.',
            { status: 409 },
          );
        }
        if (error instanceof ExtensionError && error.code === 'invalid_credentials') {
          throw new ExtensionError('wrong_passphrase', 'The current passphrase is not right. Nothing was changed.', { status: 401 });
        }
        throw error;
      }
      const outbox = await this.rewrapOutbox(old.kek, fresh.kek);
      await this.commitLocally(fresh.kek, unlocked.userId, newKdf, rewrapped, outbox);
      return { rewrapped: rewrapped.length, outbox: outbox.length };
    }
  }

  /** Keys waiting in the outbox are sealed under the old KEK: they get the new wrapping too. */
  private async rewrapOutbox(oldKek: CryptoKey, newKek: CryptoKey): Promise<{ seq: number; sealed: OutboxItem['sealed'] }[]> {
    const items = await this.deps.db.outbox.toArray();
    const out: { seq: number; sealed: OutboxItem['sealed'] }[] = [];
    for (const item of items) {
      // A keyless entry waiting to upload has no seal to re-wrap.
      if (item.seq === undefined || !item.sealed) continue;
      try {
        out.push({ seq: item.seq, sealed: { ...item.sealed, wrappedDek: await rewrapDek(oldKek, newKek, item.sealed.wrappedDek) } });
      } catch (error) {
        // Sealed by another account's KEK is impossible (sign-in clears the outbox); leave it as it is.
        if (!isCryptoError(error)) throw error;
      }
    }
    return out;
  }

  private async commitLocally(
    kek: CryptoKey,
    userId: string,
    kdf: KdfParams,
    rewrapped: Rewrapped,
    outbox: { seq: number; sealed: OutboxItem['sealed'] }[],
  ): Promise<void> {
    const { db, settings, vault } = this.deps;
    const account = await settings.get('account');
    await db.transaction('rw', [db.keys, db.outbox, db.settings], async () => {
      // A key not in the cache stays absent: update() changes existing rows only.
      for (const { id, wrappedDek } of rewrapped) await db.keys.update(id, { wrappedDek });
      for (const item of outbox) await db.outbox.update(item.seq, { sealed: item.sealed });
      if (account) await settings.set('account', { ...account, kdf });
    });
    await vault.replaceKek({ kek, userId });
  }
}

async function rewrapAll(oldKek: CryptoKey, newKek: CryptoKey, personal: SecretView[]): Promise<Rewrapped> {
  const out: Rewrapped = [];
  for (const secret of personal) {
    if (!secret.wrappedDek) throw new ExtensionError('bad_response', 'The companion did not return the wrapped data key of one of your keys.');
    try {
      // With the version it was listed at: a key rotated on another device meanwhile is a 409.
      out.push({ id: secret.id, wrappedDek: await rewrapDek(oldKek, newKek, secret.wrappedDek), ...(secret.version === undefined ? {} : { version: secret.version }) });
    } catch (error) {
      if (isCryptoError(error)) throw new ExtensionError('wrong_passphrase', 'The current passphrase is not right. Nothing was changed.');
      throw error;
    }
  }
  return out;
}
