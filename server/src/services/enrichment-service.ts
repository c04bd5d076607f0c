// POST /v1/enrich behind the HTTP layer: answers a repeated client request id from its stored
// result (no grant check, no provider call), otherwise opens the request's grants, builds the
// route, runs it, and persists its usage rows together with the idempotency record.
import { AppError, getProvider, type ProviderId } from '@byok/shared';
import type { EnrichRequest, ProgressEvent } from '@byok/shared/wire/enrich';
import { getPlan } from '@byok/shared/plans/plans';
import type { Policy } from '@byok/shared/plans/policy';
import type { ProviderTimeouts } from '../config';
import type { Logger } from '../logger';
import type { ProviderAdapters } from '../providers/registry';
import type { AccountsStore, OrgRecord } from '../store/accounts-store';
import type { SecretsStore } from '../store/secrets-store';
import type { SecretsService } from './secrets';
import type { GroupCommit } from '../store/group-commit';
import type { StoredResponse, UsageStore } from '../store/usage-store';
import type { OrgSecretsService } from './admin/org-secrets';
import type { OrgSecretsStore } from './admin/org-secrets-store';
import type { PlatformReservations } from './platform-reservations';
import type { GrantsService, ReleasedKeys } from './grants';
import { operatorAllowedBaseUrls, policyOf, type OperatorBaseUrls } from './policy';
import type { Principal } from './principal';
import { buildRouteSteps, type Candidate } from './route-candidates';
import { executeRoute, RouteCrash } from './routing';

export interface EnrichmentDeps {
  readonly grants: GrantsService;
  readonly accountsStore: AccountsStore;
  readonly secretsStore: SecretsStore;
  /** Records a provider's refusal of a personal key (status and audit event together). */
  readonly secrets: Pick<SecretsService, 'recordRefusal'>;
  readonly orgSecretsStore: OrgSecretsStore;
  readonly orgSecrets: OrgSecretsService;
  readonly usage: UsageStore;
  /** Usage rows and the stored answer are written through the group commit. */
  readonly commits: GroupCommit;
  /** Platform calls in flight, counted against the call quota until their rows are committed. */
  readonly reservations: PlatformReservations;
  readonly adapters: ProviderAdapters;
  readonly platformKeys: ReadonlyArray<readonly [ProviderId, string]>;
  readonly operatorBaseUrls: OperatorBaseUrls;
  readonly timeoutFor: ProviderTimeouts;
  readonly logger: Logger;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export type PreparedEnrichment =
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | {
      readonly kind: 'run';
      /**
       * Runs the route; `aborted` when the client went away (nothing is stored for replay then).
       * Resolves once the usage rows and the stored answer are committed.
       */
      run(options: RunOptions): Promise<RunResult>;
      /** Drops the released keys without running (the client left before the first byte). */
      dispose(): void;
    };

/**
 * The answer of a run: what is stored for its id, whether the client left, and, when every
 * provider asked to wait, for how many seconds (the `Retry-After` of this answer).
 */
export type RunResult = StoredResponse & { readonly aborted: boolean; readonly retryAfterSeconds?: number };

/** What a request has once its grants are open: everything `run` needs besides the body. */
interface Opened {
  readonly org: OrgRecord;
  readonly policy: Policy;
  readonly released: ReleasedKeys;
}

export class EnrichmentService {
  /** Client request ids being processed, per user, from the first check on: a concurrent repeat answers 409. */
  private readonly inProgress = new Set<string>();
  /** The operator's base URLs, normalized once: they are fixed for the life of the process. */
  private readonly operatorAllowed: readonly string[];

  constructor(private readonly deps: EnrichmentDeps) {
    this.operatorAllowed = operatorAllowedBaseUrls(deps.operatorBaseUrls);
  }

  /** Everything that can fail before the first byte of a streamed answer happens here. */
  async prepare(principal: Principal, body: EnrichRequest, requestId: string, clientNamed: boolean): Promise<PreparedEnrichment> {
    const { deps } = this;
    if (clientNamed) {
      const stored = deps.usage.storedResponse(principal.userId, requestId);
      if (stored) return { kind: 'replay', response: stored };
    }
    // Claimed before the first await: a repeat arriving while this one opens its grants must see it.
    const unclaim = clientNamed ? this.claim(`${principal.userId}\u0000${requestId}`) : () => undefined;
    let opened: Opened;
    try {
      opened = await this.open(principal, body);
    } catch (error) {
      // Refused before routing: nothing is stored, so the id is free again for a retry.
      unclaim();
      throw error;
    }
    const { org, policy, released } = opened;
    let finished = false;
    // Released in finish(): after the usage rows of this request are committed, or it ended.
    const reservations: Array<() => void> = [];
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const release of reservations) release();
      released.dispose();
      unclaim();
    };

    const run = async (options: RunOptions): Promise<RunResult> => {
      try {
        const personal = deps.secretsStore.listForUser(principal.userId).map((record) => {
          // A released key is described by the row it was opened from: the row may have been
          // rotated while its grant was being recorded, and the key goes only where it was sealed for.
          const release = released.get(record.id);
          return {
            secretId: record.id,
            provider: record.provider,
            label: record.label,
            baseUrl: release?.baseUrl ?? record.baseUrl,
            defaultModel: release === undefined ? record.defaultModel : release.defaultModel,
            releasedKey: release?.apiKey,
            keyless: release === undefined && record.wrappedDek === null,
            version: release?.version ?? record.version,
          };
        });
        const orgKeys = deps.orgSecretsStore.listForOrg(principal.orgId).map((record) => ({
          secretId: record.id,
          provider: record.provider,
          label: record.label,
          baseUrl: record.baseUrl,
          defaultModel: record.defaultModel,
          version: record.version,
          open: async () => (await deps.orgSecrets.open(principal.orgId, record.id, record.version)).apiKey,
        }));
        const steps = buildRouteSteps({
          policy,
          plan: getPlan(org.plan),
          personal,
          org: orgKeys,
          platform: deps.platformKeys,
          operatorBaseUrls: deps.operatorBaseUrls,
          ...(body.provider === undefined ? {} : { provider: body.provider }),
          ...(body.model === undefined ? {} : { model: body.model }),
        });
        const allowedBaseUrls = [...policy.allowedBaseUrls, ...this.operatorAllowed];
        const outcome = await executeRoute(
          {
            adapters: deps.adapters,
            usage: deps.usage,
            allowedBaseUrls,
            timeoutFor: deps.timeoutFor,
            onKeyRejected: (candidate, status) => this.keyRejected(principal, candidate, status),
            onKeyUnavailable: (candidate, error) =>
              deps.logger.warn({ requestId, provider: candidate.provider, source: candidate.source, code: error instanceof AppError ? error.code : 'internal' }, 'a key could not be opened; the route skipped it'),
            reservations: { store: deps.reservations, hold: (release) => reservations.push(release) },
          },
          {
            orgId: principal.orgId,
            userId: principal.userId,
            requestId,
            task: body.task,
            text: body.input.text,
            ...(body.input.title === undefined ? {} : { title: body.input.title }),
            policy,
            plan: getPlan(org.plan),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
          },
          steps,
        ).catch((error: unknown) => this.afterCrash(error, released, requestId));
        // The keys are not needed past the provider calls: drop them before touching the database.
        released.dispose();
        if (outcome.kind === 'aborted') {
          await deps.commits.run(() => deps.usage.record(outcome.rows, null));
          return { status: 499, body: null, aborted: true };
        }
        const response: StoredResponse =
          outcome.kind === 'ok' ? { status: 200, body: { requestId, ...outcome.body } } : { status: outcome.error.status, body: outcome.error.toBody() };
        // One transaction: the usage rows, the stored answer, and the key's last use.
        const alongside = outcome.kind === 'ok' ? () => this.keyUsed(principal, outcome.paidBy, outcome.finishedAt) : undefined;
        // A route where every provider asked to wait is not stored for replay: no call succeeded, and
        // the client is told to retry after the wait, with the same id, which must then run again.
        const retryAfterSeconds = outcome.kind === 'failed' ? outcome.retryAfterSeconds : undefined;
        const waitToRetry = retryAfterSeconds !== undefined;
        const idempotency = clientNamed && !waitToRetry ? { userId: principal.userId, requestId, response } : null;
        // The answer waits for its commit: an answered request is a recorded one, even if the
        // companion is killed the moment after (test/faults/kill-restart.ts checks it).
        const written = await deps.commits.run(() => deps.usage.record(outcome.rows, idempotency, alongside));
        if (!written) {
          // A concurrent request with this id was stored first: its answer is the answer.
          const stored = deps.usage.storedResponse(principal.userId, requestId);
          if (stored) return { ...stored, aborted: false };
        }
        return { ...response, aborted: false, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
      } finally {
        finish();
      }
    };
    return { kind: 'run', run, dispose: finish };
  }

  /**
   * A route that ended in an unexpected error: calls made before it may have been billed, so their
   * rows are written; the answer is not stored (a retry of the id runs again), and the error goes on.
   */
  private async afterCrash(error: unknown, released: ReleasedKeys, requestId: string): Promise<never> {
    if (!(error instanceof RouteCrash)) throw error;
    released.dispose();
    if (error.rows.length > 0) {
      await this.deps.commits
        .run(() => this.deps.usage.record(error.rows, null))
        .catch((commitError: unknown) => this.deps.logger.error({ requestId, err: commitError }, 'the usage rows of a failed route could not be written'));
    }
    throw error.reason;
  }

  /** The caller's organization and policy, the policy's verdict on a named provider, then the grants. */
  private async open(principal: Principal, body: EnrichRequest): Promise<Opened> {
    const org = this.deps.accountsStore.getOrg(principal.orgId);
    if (!org) throw new AppError('unauthenticated', 'Missing, invalid or expired access token.');
    const policy = policyOf(org);
    this.checkNamedProvider(policy, body.provider);
    const released = await this.deps.grants.openGrants(principal, body.grants, 'enrich');
    return { org, policy, released };
  }

  /**
   * Marks a client request id as in progress, or answers 409 when it already is. The release is
   * idempotent: a second call must not drop the claim of a later request with the same id.
   */
  private claim(progressKey: string): () => void {
    if (this.inProgress.has(progressKey)) throw new AppError('conflict', 'A request with this x-request-id is still in progress.');
    this.inProgress.add(progressKey);
    let claimed = true;
    return () => {
      if (!claimed) return;
      claimed = false;
      this.inProgress.delete(progressKey);
    };
  }

  /** A named provider that the policy switches off entirely answers 403 before any grant is opened. */
  private checkNamedProvider(policy: Policy, provider: ProviderId | undefined): void {
    if (provider === undefined || provider === 'builtin') return;
    const rule = policy.providers[provider];
    const byok = policy.byokEnabled && rule?.byok !== false;
    const shared = rule?.platform !== false;
    if (!byok && !shared) throw new AppError('provider_disabled', `${getProvider(provider).name} is switched off by the organization.`);
  }

  /**
   * Marks the refused key invalid, at the version that was sent; false when it was replaced (or
   * changed) since, and so left as it is. The provider's refusal of a personal key is audited
   * either way: it happened, to the key the request released.
   */
  private keyRejected(principal: Principal, candidate: Candidate, status: number | undefined): boolean {
    const { deps } = this;
    const { secretId, version } = candidate;
    // Only a stored key, at the version the request sent, can be marked (the platform's cannot).
    const refusal = secretId === null || version === undefined ? null : { secretId, version, provider: candidate.provider, label: candidate.label ?? '', status };
    if (candidate.source !== 'byok' || secretId === null) {
      // Shared keys are the operator's or the admins' to fix; the route moves on without them.
      const marked = candidate.source === 'org' && refusal !== null && deps.orgSecrets.recordRefusal(principal.orgId, refusal);
      deps.logger.warn({ provider: candidate.provider, source: candidate.source, status, marked }, 'a shared key was refused by its provider');
      return marked;
    }
    return refusal !== null && deps.secrets.recordRefusal(principal, refusal);
  }

  private keyUsed(principal: Principal, candidate: Candidate, at: string): void {
    if (candidate.secretId === null) return;
    if (candidate.source === 'byok') this.deps.secretsStore.markUsed(principal.userId, candidate.secretId, at);
    else if (candidate.source === 'org') this.deps.orgSecretsStore.markUsed(principal.orgId, candidate.secretId, at);
  }
}
