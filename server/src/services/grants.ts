// Opening grants (CRYPTO.md §3, §8): every grant of a request is checked (header, claims, key
// age, sub, pur, live sid of the caller that holds a key, unseen jti) and its ciphertext opened
// under the grant's data key before any jti is recorded; then all jtis are recorded in one
// transaction. One bad grant fails the whole request and nothing is handed out. Used by
// /v1/enrich and verify.
import { AppError, MAX_GRANTS_PER_REQUEST, isCryptoError, secretAad } from '@byok/shared';
import type { GrantPurpose, OpenedGrant, SealedBlob } from '@byok/shared';
import { openSealedSync } from '../crypto/sealed';
import type { GroupCommit } from '../store/group-commit';
import type { JtiStore } from '../store/jti-store';
import type { SecretRecord, SecretsStore } from '../store/secrets-store';
import type { AuditService } from './audit';
import type { GrantKeyService } from './grant-keys';
import type { Principal } from './principal';

/** One usable personal key, released for one request. */
export interface ReleasedKey {
  secretId: string;
  provider: string;
  /** "" for the provider's fixed host; otherwise the normalized URL the key was sealed for. */
  baseUrl: string;
  defaultModel: string | null;
  label: string;
  /** The row's version when it was opened: a verdict about this key lands on this version only. */
  version: number;
  apiKey: string;
}

/**
 * The plaintext keys of one request. Call `dispose()` right after the provider calls (in a
 * `finally`): it drops every reference so nothing outlives the request.
 */
export class ReleasedKeys {
  private keys: Map<string, ReleasedKey> | undefined;

  constructor(keys: ReleasedKey[]) {
    this.keys = new Map(keys.map((key) => [key.secretId, key]));
  }

  get(secretId: string): ReleasedKey | undefined {
    return this.keys?.get(secretId);
  }

  /** In the order the grants were given. */
  list(): ReleasedKey[] {
    return [...(this.keys?.values() ?? [])];
  }

  get size(): number {
    return this.keys?.size ?? 0;
  }

  dispose(): void {
    if (!this.keys) return;
    for (const key of this.keys.values()) key.apiKey = '';
    this.keys.clear();
    this.keys = undefined;
  }

  // Never serialize key material by accident (a log call, a JSON response).
  toJSON(): { released: number } {
    return { released: this.size };
  }
}

const INVALID = 'The grant is invalid.';

export class GrantsService {
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly jtis: JtiStore,
    private readonly secrets: SecretsStore,
    private readonly grantKeys: GrantKeyService,
    private readonly audit: AuditService,
    private readonly commits: GroupCommit,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * `onlySecretId` (verify: the key in the path) refuses a grant for any other key with the claim
   * checks, before that key is looked up or opened and before its jti is used up.
   */
  async openGrants(principal: Principal, grants: readonly string[], purpose: Exclude<GrantPurpose, 'org-secret-upload'>, onlySecretId?: string): Promise<ReleasedKeys> {
    if (grants.length > MAX_GRANTS_PER_REQUEST) throw new AppError('bad_request', `grants: at most ${MAX_GRANTS_PER_REQUEST} per request.`);
    const now = Math.floor(this.clock() / 1000);
    const decrypted: OpenedGrant[] = [];
    const opened: { grant: OpenedGrant; record: SecretRecord; sealed: SealedBlob }[] = [];
    try {
      // Every grant's header and claims first, then each sid (README, order of checks): a request
      // with one expired grant is 401 grant_expired whatever its other grants name.
      for (const token of grants) decrypted.push(await this.grantKeys.openGrant(token, { userId: principal.userId, purpose, now }));
      if (onlySecretId !== undefined && decrypted.some((grant) => grant.sid !== onlySecretId)) throw new AppError('grant_invalid', 'The grant is not for this key.');
      for (const grant of decrypted) opened.push({ grant, ...this.liveSecret(principal, grant) });
      this.checkNotReplayed(principal, opened);
      const released: ReleasedKey[] = [];
      for (const { grant, record, sealed } of opened) {
        let apiKey: string;
        try {
          // The AAD is rebuilt from our own row, never from anything in the grant.
          const aad = secretAad({ userId: principal.userId, secretId: record.id, provider: record.provider, baseUrl: record.baseUrl });
          apiKey = openSealedSync({ dek: grant.dek ?? new Uint8Array(0), sealed, aad });
        } catch (error) {
          if (isCryptoError(error)) throw new AppError('grant_invalid', INVALID);
          throw error;
        }
        released.push({ secretId: record.id, provider: record.provider, baseUrl: record.baseUrl, defaultModel: record.defaultModel, label: record.label, version: record.version, apiKey });
      }
      const keys = new ReleasedKeys(released);
      try {
        await this.recordJtis(principal, opened);
      } catch (error) {
        keys.dispose();
        throw error;
      }
      return keys;
    } finally {
      for (const grant of decrypted) grant.dek?.fill(0);
    }
  }

  /** Deletes remembered jtis whose grants have expired (with the clock tolerance). */
  purgeExpired(): number {
    const cutoff = Math.floor(this.clock() / 1000) - 60;
    return this.jtis.purgeBefore(cutoff);
  }

  startPurgeTimer(intervalMs = 10 * 60_000): void {
    this.stopPurgeTimer();
    this.purgeTimer = setInterval(() => {
      try {
        this.purgeExpired();
      } catch {
        // A busy database skips one purge; the next one catches up.
      }
    }, intervalMs);
    this.purgeTimer.unref();
  }

  stopPurgeTimer(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
  }

  private liveSecret(principal: Principal, grant: OpenedGrant): { record: SecretRecord; sealed: SealedBlob } {
    const found = this.secrets.sealedOf(principal.userId, grant.sid);
    // A keyless entry has nothing to release: a grant naming it is as invalid as one naming no key.
    if (!found || found.sealed === null) throw new AppError('grant_invalid', INVALID);
    return { record: found.record, sealed: found.sealed };
  }

  /** A jti seen before (or twice in this request) is a replay: 409 and an audit event. */
  private checkNotReplayed(principal: Principal, opened: { grant: OpenedGrant; record: SecretRecord }[]): void {
    const seen = new Set<string>();
    for (const { grant, record } of opened) {
      if (seen.has(grant.jti) || this.jtis.seen(grant.jti)) this.replayed(principal, record);
      seen.add(grant.jti);
    }
  }

  /** Committed (with the other requests of this turn of the event loop) before it resolves. */
  private async recordJtis(principal: Principal, opened: { grant: OpenedGrant; record: SecretRecord }[]): Promise<void> {
    try {
      // The group commit runs this in a savepoint of its own: a throw rolls back all of this request's jtis.
      await this.commits.run(() => {
        for (const { grant, record } of opened) {
          // A concurrent request with the same grant won the race: roll back everything of ours.
          if (!this.jtis.record(grant.jti, grant.exp)) throw new ReplayRace(record);
        }
      });
    } catch (error) {
      if (error instanceof ReplayRace) this.replayed(principal, error.record);
      throw error;
    }
  }

  private replayed(principal: Principal, record: SecretRecord): never {
    this.audit.append({ orgId: principal.orgId, actor: principal.userId, action: 'grant.replayed', target: record.id, provider: record.provider, detail: { label: record.label } });
    throw new AppError('grant_replayed', 'The grant was already used.');
  }
}

class ReplayRace extends Error {
  constructor(readonly record: SecretRecord) {
    super('replay race');
  }
}
