// Personal keys: store, rotate (optimistic concurrency by version), rename, reorder, delete and
// list. Only sealed material is stored (or none: a keyless entry for a provider that needs no key);
// plan and policy are checked on every write; every change and its audit event commit together in
// one BEGIN IMMEDIATE transaction.
import { AppError, isSealedBlob, isValidHint } from '@byok/shared';
import type { KeyHint } from '@byok/shared';
import { getProvider } from '@byok/shared/providers/catalog';
import { getPlan } from '@byok/shared/plans/plans';
import type { OrgSecretSummary, PutSecretRequest, UserSecretView } from '@byok/shared/wire/secrets';
import type { ProviderId } from '@byok/shared/providers/types';
import type { AccountsStore, OrgRecord } from '../store/accounts-store';
import type { Db } from '../store/db';
import type { SecretRecord, SecretsStore } from '../store/secrets-store';
import type { OrgSecretsStore } from './admin/org-secrets-store';
import type { AuditService } from './audit';
import { checkIfMatch, keyAuditDetail, keyViewBase, refusalAuditDetail, VERSION_MISMATCH } from './key-view';
import { checkLocalBaseUrl, planLimitError, policyOf, type OperatorBaseUrls } from './policy';
import type { Principal } from './principal';

/** The public view plus `version`, the optimistic-concurrency counter (also sent as ETag). */
export type SecretView = UserSecretView & { version: number };

/** What PUT /v1/secrets/:id accepts, as validated by the shared schema. */
export type PutSecretInput = PutSecretRequest;

const NOT_FOUND = 'No such key.';
/** What a keyless entry stores and shows as its hint. */
const KEYLESS_HINT: KeyHint = { prefix: '', last4: '' };

export function secretView(record: SecretRecord): SecretView {
  return {
    ...keyViewBase(record, 'user'),
    position: record.position,
    wrappedDek: record.wrappedDek,
    keyless: record.wrappedDek === null,
    version: record.version,
  };
}

export class SecretsService {
  constructor(
    private readonly db: Db,
    private readonly store: SecretsStore,
    /** Organization keys share the id space with personal keys (README, Organizations). */
    private readonly orgKeys: OrgSecretsStore,
    private readonly accounts: AccountsStore,
    private readonly audit: AuditService,
    /** BYOK_PROVIDER_BASE_URLS: local base URLs the operator configured are allowed too. */
    private readonly operatorBaseUrls: OperatorBaseUrls = {},
  ) {}

  list(principal: Principal): { secrets: (SecretView | OrgSecretSummary)[] } {
    const org = this.orgOf(principal);
    const personal = this.store.listForUser(principal.userId).map(secretView);
    const policy = policyOf(org);
    const orgKeys = getPlan(org.plan).orgKeys
      ? this.store
          .listOrgSummaries(org.id)
          .filter((key) => policy.providers[key.provider as ProviderId]?.platform !== false)
          .map((key): OrgSecretSummary => ({ id: key.id, scope: 'org', provider: key.provider as ProviderId, label: key.label, hint: { ...key.hint } }))
      : [];
    return { secrets: [...personal, ...orgKeys] };
  }

  /** Creates (`created: true`) or rotates the key `id`; see API.md and CRYPTO.md §2. */
  put(principal: Principal, id: string, input: PutSecretInput, ifMatch: number | undefined): { created: boolean; secret: SecretView } {
    const entry = getProvider(input.provider);
    const baseUrl = input.baseUrl ?? '';
    // The wire schema checks these too; repeat them here so no other caller can skip them.
    if ((input.hint === undefined) !== (input.sealed === undefined)) throw new AppError('bad_request', 'hint and sealed go together: send both, or neither.');
    const sealed = input.sealed ?? null;
    if (sealed === null && (entry.keyRequired || entry.baseUrl === 'none')) throw new AppError('bad_request', `${entry.id} needs a key: hint and sealed are required.`);
    if (sealed !== null && !isSealedBlob(sealed)) throw new AppError('bad_request', 'sealed is not a valid sealed blob.');
    const hint = input.hint ?? KEYLESS_HINT;
    if (!isValidHint(hint, entry.keyPrefixes)) throw new AppError('bad_request', 'hint does not fit the provider.');
    const detail = keyAuditDetail({ label: input.label, hint }, sealed === null);
    const now = new Date().toISOString();
    return this.db
      .transaction(() => {
        const org = this.orgOf(principal);
        // Whose id it is comes before policy: another user's id is 404 whatever the caller may store (API.md).
        const existing = this.store.get(id);
        if (existing && existing.userId !== principal.userId) throw new AppError('not_found', NOT_FOUND);
        if (!existing && this.orgKeys.get(id)) throw new AppError('conflict', 'This id is taken by an organization key.');
        this.checkPolicy(org, input.provider, baseUrl);
        const defaultModel = input.defaultModel ?? null;
        if (existing) {
          if (existing.provider !== input.provider) throw new AppError('conflict', 'A rotation must keep the provider; store a new key instead.');
          checkIfMatch(ifMatch, existing.version);
          const rotated = this.store.rotate(principal.userId, id, existing.version, {
            label: input.label,
            defaultModel,
            baseUrl,
            hint,
            sealed,
            rotatedAt: now,
          });
          if (!rotated) throw new AppError('conflict', VERSION_MISMATCH);
          this.audit.append({ orgId: org.id, actor: principal.userId, action: 'key.rotated', target: id, provider: input.provider, detail });
          return { created: false, secret: secretView(this.mustGet(principal.userId, id)) };
        }
        checkIfMatch(ifMatch, undefined);
        const replaced = this.checkProviderLimit(org, principal.userId, input.provider, input.replace === true);
        for (const old of replaced) {
          this.store.delete(principal.userId, old.id);
          this.audit.append({
            orgId: org.id,
            actor: principal.userId,
            action: 'key.deleted',
            target: old.id,
            provider: old.provider,
            detail: { ...keyAuditDetail(old, old.wrappedDek === null), replacedBy: id },
          });
        }
        this.store.insert({
          id,
          userId: principal.userId,
          provider: input.provider,
          label: input.label,
          defaultModel,
          baseUrl,
          hint,
          sealed,
          position: this.store.nextPosition(principal.userId),
          createdAt: now,
        });
        const stored = replaced.length > 0 ? { ...detail, replaced: replaced.map((old) => old.id) } : detail;
        this.audit.append({ orgId: org.id, actor: principal.userId, action: 'key.stored', target: id, provider: input.provider, detail: stored });
        return { created: true, secret: secretView(this.mustGet(principal.userId, id)) };
      })
      .immediate();
  }

  /** `ifMatch` (the version from `If-Match`) makes the edit conditional, as for a rotation. */
  patch(principal: Principal, id: string, input: { label?: string | undefined; defaultModel?: string | null | undefined }, ifMatch?: number): SecretView {
    return this.db
      .transaction(() => {
        const existing = this.store.getOwned(principal.userId, id);
        if (!existing) throw new AppError('not_found', NOT_FOUND);
        checkIfMatch(ifMatch, existing.version);
        const label = input.label ?? existing.label;
        const defaultModel = input.defaultModel === undefined ? existing.defaultModel : input.defaultModel;
        this.store.patch(principal.userId, id, { label, defaultModel });
        this.audit.append({
          orgId: principal.orgId,
          actor: principal.userId,
          action: 'key.updated',
          target: id,
          provider: existing.provider,
          detail: keyAuditDetail({ label, hint: existing.hint }, existing.wrappedDek === null),
        });
        return secretView(this.mustGet(principal.userId, id));
      })
      .immediate();
  }

  /**
   * A provider refused the key a request released at `version`: marks it invalid (unless it was
   * rotated or edited since) and audits `key.rejected_by_provider` by the member, in one
   * transaction. Returns whether the key sent is now marked invalid.
   */
  recordRefusal(principal: Principal, refusal: { secretId: string; version: number; provider: string; label: string; status: number | undefined }): boolean {
    return this.db
      .transaction(() => {
        const marked = this.store.setStatus(principal.userId, refusal.secretId, 'invalid', null, refusal.version);
        this.audit.append({
          orgId: principal.orgId,
          actor: principal.userId,
          action: 'key.rejected_by_provider',
          target: refusal.secretId,
          provider: refusal.provider,
          detail: refusalAuditDetail(refusal, marked),
        });
        return marked;
      })
      .immediate();
  }

  /** `ifMatch` (the version from `If-Match`) deletes the key only at that version. */
  delete(principal: Principal, id: string, ifMatch?: number): void {
    this.db
      .transaction(() => {
        const existing = this.store.getOwned(principal.userId, id);
        if (!existing) throw new AppError('not_found', NOT_FOUND);
        checkIfMatch(ifMatch, existing.version);
        if (!this.store.delete(principal.userId, id)) throw new AppError('not_found', NOT_FOUND);
        this.audit.append({ orgId: principal.orgId, actor: principal.userId, action: 'key.deleted', target: id, provider: existing.provider, detail: keyAuditDetail(existing, existing.wrappedDek === null) });
      })
      .immediate();
  }

  reorder(principal: Principal, ids: string[]): { secrets: (SecretView | OrgSecretSummary)[] } {
    this.db
      .transaction(() => {
        const org = this.orgOf(principal);
        if (!getPlan(org.plan).providerOrder) throw planLimitError(org, 'Ordering keys', (plan) => plan.providerOrder);
        if (!policyOf(org).providerOrder) throw new AppError('plan_limit', "Ordering keys is switched off by your organization's policy.");
        const owned = new Set(this.store.listIdsForUser(principal.userId));
        if (ids.length !== owned.size || new Set(ids).size !== ids.length || ids.some((id) => !owned.has(id))) {
          throw new AppError('conflict', 'ids must list exactly your personal keys, each once.');
        }
        ids.forEach((id, position) => this.store.setPosition(principal.userId, id, position));
        this.audit.append({ orgId: org.id, actor: principal.userId, action: 'key.reordered', target: principal.userId, detail: { ids } });
      })
      .immediate();
    return this.list(principal);
  }

  private checkPolicy(org: OrgRecord, provider: ProviderId, baseUrl: string): void {
    const plan = getPlan(org.plan);
    if (!plan.byok) throw planLimitError(org, 'Storing personal keys', (candidate) => candidate.byok);
    const policy = policyOf(org);
    if (!policy.byokEnabled) throw new AppError('provider_disabled', 'Personal keys are switched off by your organization.');
    if (policy.providers[provider]?.byok === false) {
      throw new AppError('provider_disabled', `Personal ${provider} keys are switched off by your organization.`);
    }
    checkLocalBaseUrl(policy, this.operatorBaseUrls, provider, baseUrl);
  }

  /**
   * The personal provider limit. Returns the keys to delete first: on a one-provider limit with
   * `replace`, every key of the other provider; otherwise nothing, or a plan_limit refusal that
   * names the limit, the plan that lifts it and (where it applies) how to replace.
   */
  private checkProviderLimit(org: OrgRecord, userId: string, provider: string, replace: boolean): SecretRecord[] {
    const limit = policyOf(org).personalProviderLimit;
    if (limit === null) return [];
    const providers = this.store.distinctProviders(userId);
    if (providers.includes(provider) || providers.length < limit) return [];
    if (replace && limit === 1) return this.store.listForUser(userId).filter((key) => key.provider !== provider);
    const howToReplace = limit === 1 ? ` To use ${provider} instead, store it with replace: true, which deletes your ${providers.join(', ')} keys.` : '';
    const planLimit = getPlan(org.plan).personalProviderLimit;
    if (planLimit !== null && planLimit <= limit) {
      const refusal = planLimitError(org, `Keys for more than ${limit} provider${limit === 1 ? '' : 's'}`, (plan) => plan.personalProviderLimit === null || plan.personalProviderLimit > limit);
      throw new AppError('plan_limit', refusal.message + howToReplace);
    }
    throw new AppError('plan_limit', `Your organization allows keys for at most ${limit} provider${limit === 1 ? '' : 's'} per person.${howToReplace}`);
  }

  private orgOf(principal: Principal): OrgRecord {
    const org = this.accounts.getOrg(principal.orgId);
    if (!org) throw new AppError('unauthenticated', 'Missing, invalid or expired access token.');
    return org;
  }

  private mustGet(userId: string, id: string): SecretRecord {
    const record = this.store.getOwned(userId, id);
    if (!record) throw new AppError('not_found', NOT_FOUND);
    return record;
  }
}
