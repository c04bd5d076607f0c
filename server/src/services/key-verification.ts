// POST /v1/secrets/:id/verify: a live, cheap call with one personal key (the provider's model list)
// under a `verify` grant, or with no key and no grant for a keyless entry. Records the status and
// time of the check, audits key.verified or key.verify_failed, and writes one usage row (task
// verify, no tokens), all three in one transaction.
import { randomUUID } from 'node:crypto';
import { AppError, getProvider, type ProviderId } from '@byok/shared';
import type { VerifySecretResponse } from '@byok/shared/wire/secrets';
import type { UsageOutcome } from '@byok/shared/wire/usage';
import type { ProviderTimeouts } from '../config';
import { ProviderError } from '../providers/provider-error';
import type { ProviderAdapters } from '../providers/registry';
import type { VerifyResult } from '../providers/types';
import type { AccountsStore } from '../store/accounts-store';
import type { SecretsStore } from '../store/secrets-store';
import type { UsageStore } from '../store/usage-store';
import type { AuditService } from './audit';
import type { GrantsService } from './grants';
import { baseUrlAllowed, operatorAllowedBaseUrls, policyOf, type OperatorBaseUrls } from './policy';
import type { Principal } from './principal';
import { baseUrlFor } from './route-candidates';

export interface VerificationDeps {
  readonly grants: GrantsService;
  readonly accountsStore: AccountsStore;
  readonly secretsStore: SecretsStore;
  readonly audit: AuditService;
  readonly usage: UsageStore;
  readonly adapters: ProviderAdapters;
  readonly operatorBaseUrls: OperatorBaseUrls;
  readonly timeoutFor: ProviderTimeouts;
  readonly clock?: () => number;
}

export class KeyVerificationService {
  constructor(private readonly deps: VerificationDeps) {}

  /** `grant` is required for a sealed key and refused for a keyless entry (400 either way). */
  async verify(principal: Principal, secretId: string, grant: string | undefined, requestId: string, signal?: AbortSignal): Promise<VerifySecretResponse> {
    const { deps } = this;
    const clock = deps.clock ?? Date.now;
    const record = deps.secretsStore.getOwned(principal.userId, secretId);
    if (!record) throw new AppError('not_found', 'No such key.');
    const entry = getProvider(record.provider);
    if (!entry) throw new AppError('not_found', 'No such key.');
    const provider: ProviderId = entry.id;
    const org = deps.accountsStore.getOrg(principal.orgId);
    if (!org) throw new AppError('unauthenticated', 'Missing, invalid or expired access token.');
    const policy = policyOf(org);
    if (!policy.byokEnabled || policy.providers[provider]?.byok === false) {
      throw new AppError('provider_disabled', `Personal ${entry.name} keys are switched off by the organization.`);
    }
    const keyless = record.wrappedDek === null;
    if (keyless && grant !== undefined) throw new AppError('bad_request', 'grant: a keyless entry is verified without a grant; send {}.');
    if (!keyless && grant === undefined) throw new AppError('bad_request', 'grant: required to verify a key.');
    // As in routing: the policy in force is asked again (before the grant is used up).
    if (!baseUrlAllowed(policy, deps.operatorBaseUrls, provider, record.baseUrl)) {
      throw new AppError('bad_request', "baseUrl is not in your organization's allowed base URLs.");
    }

    const released = grant === undefined ? undefined : await deps.grants.openGrants(principal, [grant], 'verify', secretId);
    const startedAt = clock();
    const started = performance.now();
    // The check is a provider call like any other: one usage row, whatever its outcome, written in
    // one transaction with whatever goes `alongside` it (the key's status and the audit event).
    const recordCall = (model: string, outcome: UsageOutcome, alongside?: () => void): void => {
      deps.usage.record(
        [
          {
            id: randomUUID(),
            orgId: principal.orgId,
            userId: principal.userId,
            requestId,
            at: new Date(startedAt).toISOString(),
            provider,
            model,
            source: 'byok',
            secretId,
            task: 'verify',
            inputTokens: 0,
            outputTokens: 0,
            costMicros: 0,
            latencyMs: Math.round(performance.now() - started),
            outcome,
          },
        ],
        null,
        alongside,
      );
    };
    let verdict: VerifyResult;
    // The key as released: a rotation that landed while the grant was opened or recorded has a
    // base URL, version and default model of its own, and the key goes only where it was sealed for.
    let keyBaseUrl = record.baseUrl;
    let version = record.version;
    let model = record.defaultModel ?? entry.defaultModel;
    try {
      let apiKey: string | null = null;
      if (released) {
        const key = released.get(secretId);
        if (!key) throw new AppError('grant_invalid', 'The grant is not for this key.');
        apiKey = key.apiKey;
        keyBaseUrl = key.baseUrl;
        version = key.version;
        model = key.defaultModel ?? entry.defaultModel;
        // Asked again for a base URL a rotation brought in after the check above: the grant is used
        // up by now, but the key must not go where the policy does not allow.
        if (keyBaseUrl !== record.baseUrl && !baseUrlAllowed(policy, deps.operatorBaseUrls, provider, keyBaseUrl)) {
          throw new AppError('bad_request', "baseUrl is not in your organization's allowed base URLs.");
        }
      }
      const baseUrl = baseUrlFor(provider, keyBaseUrl, deps.operatorBaseUrls);
      if (baseUrl === null) throw new AppError('bad_request', 'The key has no usable base URL.');
      const allowedBaseUrls = [...policy.allowedBaseUrls, ...operatorAllowedBaseUrls(deps.operatorBaseUrls)];
      verdict = await deps.adapters.forProvider(provider).verify({
        provider,
        model,
        apiKey,
        baseUrl,
        allowedBaseUrls,
        timeoutMs: deps.timeoutFor(provider),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      // The client left while the provider was asked: the call may have been made, so it has its row.
      if (error instanceof ProviderError && error.kind === 'aborted') recordCall(model, 'error');
      throw error;
    } finally {
      released?.dispose();
    }

    // The adapter has screened the model id against the key (http-adapter.ts, safeModelId).
    let result: VerifySecretResponse = { status: verdict.status, ...(verdict.model === undefined ? {} : { model: verdict.model }), detail: verdict.detail };
    const at = new Date(clock()).toISOString();
    let rotated = false;
    recordCall(
      result.model ?? model,
      result.status === 'valid' ? 'ok' : result.status === 'invalid' ? 'key_rejected' : verdict.rateLimited ? 'rate_limited' : 'unreachable',
      () => {
        rotated = result.status !== 'unreachable' && !deps.secretsStore.setStatus(principal.userId, secretId, result.status, at, version);
        deps.audit.append({
          orgId: principal.orgId,
          actor: principal.userId,
          action: result.status === 'valid' ? 'key.verified' : 'key.verify_failed',
          target: secretId,
          provider,
          detail: { label: record.label, status: result.status },
        });
      },
    );
    // Changed while the provider answered (a rotation, or an edit, which also takes a new version):
    // the verdict is about the key as it was released.
    if (rotated) result = { ...result, detail: `${result.detail}; the key changed meanwhile (rotated or edited), so its status is unchanged` };
    return result;
  }
}
