// Organization keys (CRYPTO.md §4): an admin's client uploads the plaintext inside a grant-style
// JWE (`pur` org-secret-upload); the server checks it like any grant (sub = the admin, sid = the
// path id, unseen jti), derives the hint itself, seals the key under the master KEK with the org
// AAD and never returns it. `open` releases one key for one provider call (routing).
import { AppError, computeHint, isCryptoError, openWithKek, orgSecretAad, sealApiKey } from '@byok/shared';
import type { OpenedGrant } from '@byok/shared';
import { getProvider, matchesKeyFormat } from '@byok/shared/providers/catalog';
import { getPlan } from '@byok/shared/plans/plans';
import type { ProviderId } from '@byok/shared/providers/types';
import type { OrgSecretView as OrgSecretWireView, PutOrgSecretRequest } from '@byok/shared/wire/admin';
import type { AccountsStore, OrgRecord } from '../../store/accounts-store';
import type { Db } from '../../store/db';
import type { JtiStore } from '../../store/jti-store';
import type { AuditService } from '../audit';
import type { GrantKeyService } from '../grant-keys';
import { checkIfMatch, keyAuditDetail, keyViewBase, refusalAuditDetail } from '../key-view';
import type { ReleasedKey } from '../grants';
import type { MasterKek } from '../master-kek';
import { checkLocalBaseUrl, planLimitError, policyOf, type OperatorBaseUrls } from '../policy';
import type { OrgSecretRecord, OrgSecretsStore } from './org-secrets-store';

const NOT_FOUND = 'No such organization key.';
const INVALID = 'The grant is invalid.';

export type GrantKeyOpener = Pick<GrantKeyService, 'openGrant'>;

/** The admins' view plus `version`, the optimistic-concurrency counter (also sent as ETag), as for personal keys. */
export type OrgSecretView = OrgSecretWireView & { version: number };

export function orgSecretView(record: OrgSecretRecord): OrgSecretView {
  return { ...keyViewBase(record, 'org'), version: record.version };
}

class ReplayRace extends Error {}

export class OrgSecretsService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountsStore,
    private readonly store: OrgSecretsStore,
    private readonly audit: AuditService,
    private readonly grantKeys: GrantKeyOpener,
    private readonly jtis: JtiStore,
    private readonly master: MasterKek,
    /** BYOK_PROVIDER_BASE_URLS: local base URLs the operator configured are allowed too. */
    private readonly operatorBaseUrls: OperatorBaseUrls = {},
    private readonly clock: () => number = Date.now,
  ) {}

  list(orgId: string): OrgSecretView[] {
    return this.store.listForOrg(orgId).map(orgSecretView);
  }

  /**
   * Stores (201) or rotates (200) the organization key `id`; the admin is `userId`. `ifMatch` (a
   * version from `If-Match`) makes a rotation conditional: of two admins rotating one key from the
   * same version, exactly one wins, and the other's upload stays unused (409).
   */
  async put(orgId: string, userId: string, id: string, input: PutOrgSecretRequest, ifMatch?: number): Promise<{ created: boolean; secret: OrgSecretView }> {
    const org = this.mustGetOrg(orgId);
    this.checkAllowed(org, input.provider, input.baseUrl ?? '');
    const grant = await this.openUpload(orgId, userId, id, input.upload);
    const apiKey = grant.key ?? '';
    const entry = getProvider(input.provider);
    if (entry.keyPattern !== null && !matchesKeyFormat(input.provider, apiKey)) {
      throw new AppError('bad_request', `upload: the key is not in the ${entry.name} key format.`);
    }
    const baseUrl = input.baseUrl ?? '';
    const hint = computeHint(apiKey, entry.keyPrefixes);
    const sealed = await sealApiKey({ apiKey, kek: this.master.kek, aad: orgSecretAad({ orgId, secretId: id, provider: input.provider, baseUrl }) });
    const write = { provider: input.provider, label: input.label, defaultModel: input.defaultModel ?? null, baseUrl, hint, sealed, kekId: this.master.kekId };
    const now = new Date(this.clock()).toISOString();
    try {
      return this.db
        .transaction(() => {
          const current = this.mustGetOrg(orgId);
          this.checkAllowed(current, input.provider, baseUrl);
          const existing = this.store.get(id);
          if (existing && existing.orgId !== orgId) throw new AppError('not_found', NOT_FOUND);
          if (!existing && this.store.personalIdExists(id)) throw new AppError('conflict', 'This id is taken by a personal key.');
          checkIfMatch(ifMatch, existing?.version);
          if (existing && existing.provider !== input.provider) throw new AppError('conflict', 'A rotation must keep the provider; store a new key instead.');
          if (!this.jtis.record(grant.jti, grant.exp)) throw new ReplayRace();
          if (existing) this.store.replace(orgId, id, write, now);
          else this.store.insert(orgId, id, write, now);
          this.audit.append({
            orgId,
            actor: userId,
            action: existing ? 'org_key.rotated' : 'org_key.stored',
            target: id,
            provider: input.provider,
            detail: keyAuditDetail(write),
          });
          const stored = this.store.getInOrg(orgId, id);
          if (!stored) throw new AppError('internal', 'The organization key was not stored.');
          return { created: !existing, secret: orgSecretView(stored) };
        })
        .immediate();
    } catch (error) {
      if (error instanceof ReplayRace) this.replayed(orgId, userId, id, input.provider);
      throw error;
    }
  }

  /** `ifMatch` (the version from `If-Match`) deletes the key only at that version. */
  delete(orgId: string, userId: string, id: string, ifMatch?: number): void {
    this.db
      .transaction(() => {
        const existing = this.store.getInOrg(orgId, id);
        if (!existing) throw new AppError('not_found', NOT_FOUND);
        checkIfMatch(ifMatch, existing.version);
        if (!this.store.delete(orgId, id)) throw new AppError('not_found', NOT_FOUND);
        this.audit.append({ orgId, actor: userId, action: 'org_key.deleted', target: id, provider: existing.provider, detail: keyAuditDetail(existing) });
      })
      .immediate();
  }

  /**
   * A provider refused this organization key at `version`: marks it invalid and audits that, in one
   * transaction, by `system` in the organization's log. Only a change is audited: a key already
   * marked invalid at that version (routes still try it, every member's request again) writes
   * nothing, so requests cannot fill the admins' log. A key replaced since is left as it is, and its
   * one event says so. Returns whether the key sent is now marked invalid.
   */
  recordRefusal(orgId: string, refusal: { secretId: string; version: number; provider: string; label: string; status: number | undefined }): boolean {
    return this.db
      .transaction(() => {
        const current = this.store.getInOrg(orgId, refusal.secretId);
        if (current?.version === refusal.version && current.status === 'invalid') return true;
        const marked = this.store.setStatus(orgId, refusal.secretId, 'invalid', null, refusal.version);
        this.audit.append({
          orgId,
          actor: 'system',
          action: 'org_key.rejected_by_provider',
          target: refusal.secretId,
          provider: refusal.provider,
          detail: refusalAuditDetail(refusal, marked),
        });
        return marked;
      })
      .immediate();
  }

  /**
   * The plaintext of one organization key, for one provider call. The caller drops it right
   * after the call. Throws not_found for another organization's id and, given `version`, for a key
   * rotated since the caller read it at that version: the caller's base URL and whatever the
   * provider says about the key belong to the version it read.
   */
  async open(orgId: string, secretId: string, version?: number): Promise<ReleasedKey> {
    const found = this.store.sealedOf(orgId, secretId);
    if (!found || (version !== undefined && found.record.version !== version)) throw new AppError('not_found', NOT_FOUND);
    const { record, sealed } = found;
    const kek = this.master.byId.get(record.kekId);
    if (!kek) throw new AppError('internal', 'The master key that wrapped this organization key is not loaded.');
    const aad = orgSecretAad({ orgId, secretId, provider: record.provider, baseUrl: record.baseUrl });
    let apiKey: string;
    try {
      apiKey = await openWithKek({ kek, sealed, aad });
    } catch (error) {
      if (isCryptoError(error)) throw new AppError('internal', 'An organization key could not be opened.');
      throw error;
    }
    return { secretId, provider: record.provider, baseUrl: record.baseUrl, defaultModel: record.defaultModel, label: record.label, version: record.version, apiKey };
  }

  private async openUpload(orgId: string, userId: string, id: string, upload: string): Promise<OpenedGrant> {
    const grant = await this.grantKeys.openGrant(upload, { userId, purpose: 'org-secret-upload', now: Math.floor(this.clock() / 1000) });
    if (grant.sid !== id || typeof grant.key !== 'string') throw new AppError('grant_invalid', INVALID);
    if (this.jtis.seen(grant.jti)) {
      return this.replayed(orgId, userId, id, null);
    }
    return grant;
  }

  private replayed(orgId: string, userId: string, id: string, provider: string | null): never {
    this.audit.append({ orgId, actor: userId, action: 'grant.replayed', target: id, provider, detail: { purpose: 'org-secret-upload' } });
    throw new AppError('grant_replayed', 'The grant was already used.');
  }

  /** Organization keys need a plan that has them; local base URLs need the policy's allow-list. */
  private checkAllowed(org: OrgRecord, provider: ProviderId, baseUrl: string): void {
    if (!getPlan(org.plan).orgKeys) throw planLimitError(org, 'Organization keys', (plan) => plan.orgKeys);
    checkLocalBaseUrl(policyOf(org), this.operatorBaseUrls, provider, baseUrl);
  }

  private mustGetOrg(orgId: string): OrgRecord {
    const org = this.accounts.getOrg(orgId);
    if (!org) throw new AppError('not_found', 'No such organization.');
    return org;
  }
}
