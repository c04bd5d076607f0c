// Runs one enrichment along its route: tries each candidate in order, moves on after unreachable
// (5xx, timeout, connection error, malformed answer) and rate-limited attempts, stops on a key the
// provider rejects (personal key: 424 key_rejected, key marked invalid, audited, never a silent
// fallback to the platform key), stops when a provider refuses the content (422 content_refused:
// the same text is not sent, and billed, elsewhere), checks the platform quota before a platform
// attempt, and returns one usage row per attempt for the caller to persist with the idempotency record.
import { randomUUID } from 'node:crypto';
import { AppError, costMicros, getProvider } from '@byok/shared';
import type { AttemptOutcome, EnrichResponse, EnrichTask, ProgressEvent, RouteAttempt } from '@byok/shared/wire/enrich';
import type { UsageOutcome } from '@byok/shared/wire/usage';
import type { Policy } from '@byok/shared/plans/policy';
import type { PlanLimits } from '@byok/shared/plans/plans';
import { EnrichmentFailure, estimateEnrichmentTokens, runEnrichment, type EnrichmentUsage } from '../enrichment/run-enrichment';
import type { ProviderErrorKind } from '../providers/provider-error';
import type { ProviderTimeouts } from '../config';
import type { ProviderAdapters } from '../providers/registry';
import type { NewUsageRow, UsageStore } from '../store/usage-store';
import { NOTHING_IN_FLIGHT, type PlatformReservations } from './platform-reservations';
import type { Candidate, RouteStep } from './route-candidates';

export interface RouteEnvironment {
  readonly adapters: ProviderAdapters;
  readonly usage: UsageStore;
  /** Base URLs allowed to resolve to private addresses (policy + operator). */
  readonly allowedBaseUrls: readonly string[];
  /** The bound on one call to a provider (BYOK_PROVIDER_TIMEOUT_MS, or the provider's own). */
  readonly timeoutFor: ProviderTimeouts;
  /**
   * A provider refused a key: marks it invalid at the version sent and audits the refusal; true
   * when the key was marked (false: replaced since).
   */
  onKeyRejected(candidate: Candidate, status: number | undefined): boolean;
  /** A key could not be opened (an organization key deleted meanwhile, or one that no longer decrypts): it is skipped. */
  onKeyUnavailable?(candidate: Candidate, error: unknown): void;
  readonly clock?: () => number;
  /**
   * Counts platform calls in flight against the call quota. `hold` keeps each reservation made for
   * this request until the caller has committed its usage rows (then releases them).
   */
  readonly reservations?: { readonly store: PlatformReservations; hold(release: () => void): void };
}

export interface RouteRequest {
  readonly orgId: string;
  readonly userId: string;
  readonly requestId: string;
  readonly task: EnrichTask;
  readonly text: string;
  readonly title?: string;
  readonly policy: Policy;
  readonly plan: PlanLimits;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export type RouteOutcome =
  | { readonly kind: 'ok'; readonly body: Omit<EnrichResponse, 'requestId'>; readonly rows: NewUsageRow[]; readonly paidBy: Candidate; readonly finishedAt: string }
  | {
      readonly kind: 'failed';
      readonly error: AppError;
      readonly rows: NewUsageRow[];
      /** Every provider tried was rate-limited and said for how long: the shortest wait, in whole seconds. */
      readonly retryAfterSeconds?: number;
    }
  | { readonly kind: 'aborted'; readonly rows: NewUsageRow[] };

/** The shortest wait when every failed call was a rate limit that named one; else undefined (no call, or one that did not). */
function shortestWait(waits: ReadonlyArray<number | undefined>): number | undefined {
  if (waits.length === 0 || waits.some((wait) => wait === undefined)) return undefined;
  return Math.min(...(waits as number[]));
}

function attemptOutcome(kind: ProviderErrorKind): Exclude<AttemptOutcome, 'ok' | 'skipped'> {
  if (kind === 'auth') return 'key_rejected';
  if (kind === 'rate_limit') return 'rate_limited';
  // Server errors, timeouts, connection failures, malformed answers, requests this provider would
  // not take (e.g. an unknown model): this candidate could not answer; the next one may.
  return 'unreachable';
}

function describeAttempts(attempts: readonly RouteAttempt[]): string {
  return attempts.map((attempt) => `${attempt.provider} (${attempt.source}): ${attempt.outcome}`).join('; ');
}

/**
 * Whether the organization may make one more platform call this month. The check happens before
 * the call, so the call that crosses the cost cap is the last one allowed and the next is refused.
 * Calls in flight count too: each as one call and at its estimated cost, until its row is on record.
 */
function quotaRefusal(env: RouteEnvironment, request: RouteRequest): AppError | null {
  const quota = request.policy.platformQuota;
  if (quota.monthlyCalls === null && quota.monthlyCostMicros === null) return null;
  const used = env.usage.monthToDate(request.orgId, request.policy.byokMetering === 'track');
  const inFlight = env.reservations?.store.inFlight(request.orgId) ?? NOTHING_IN_FLIGHT;
  if (quota.monthlyCalls !== null && used.calls + inFlight.calls >= quota.monthlyCalls) {
    return new AppError('quota_exceeded', `The organization's monthly platform quota of ${quota.monthlyCalls} calls is reached.`);
  }
  if (quota.monthlyCostMicros !== null && used.costMicros + inFlight.costMicros >= quota.monthlyCostMicros) {
    return new AppError('quota_exceeded', "The organization's monthly platform cost cap is reached.");
  }
  return null;
}

/**
 * A route that ended in an unexpected error (a bug, a failing database write): the usage rows of the
 * attempts made before it, which providers may have billed, still need committing.
 */
export class RouteCrash extends Error {
  constructor(
    readonly reason: unknown,
    readonly rows: readonly NewUsageRow[],
  ) {
    super('the route ended in an unexpected error');
    this.name = 'RouteCrash';
  }
}

export async function executeRoute(env: RouteEnvironment, request: RouteRequest, steps: readonly RouteStep[]): Promise<RouteOutcome> {
  const rows: NewUsageRow[] = [];
  try {
    return await runRoute(env, request, steps, rows);
  } catch (error) {
    throw new RouteCrash(error, rows);
  }
}

async function runRoute(env: RouteEnvironment, request: RouteRequest, steps: readonly RouteStep[], rows: NewUsageRow[]): Promise<RouteOutcome> {
  const clock = env.clock ?? Date.now;
  const attempts: RouteAttempt[] = [];
  /** Why candidates were left out, where a step says (the error names it). */
  const skipReasons: string[] = [];
  // Per provider call that failed: how long it asked to wait (a 429 that said so), else undefined.
  const waits: Array<number | undefined> = [];
  // Progress counts on across candidates: a route that moves on does not start its count again.
  let progressBefore = 0;
  let progressHere = 0;
  const onProgress =
    request.onProgress === undefined
      ? undefined
      : (event: ProgressEvent): void => {
          progressHere = event.done;
          request.onProgress?.({ ...event, done: progressBefore + event.done, total: progressBefore + event.total });
        };
  const totals = { inputTokens: 0, outputTokens: 0, costMicros: 0, calls: 0 };

  // The current platform attempt's reservation at its estimated cost (see quotaRefusal).
  let estimateHeld: (() => void) | undefined;
  /**
   * A platform attempt has ended: its estimate goes, and the row takes its place until the request's
   * rows are committed, but only if the row counts against the quota (UsageStore.monthToDate: an
   * answer, or tokens or cost). An attempt that reached no provider then holds nothing, so the
   * fallback it leads to is checked against what was really used.
   */
  const settleAttempt = (counted: { costMicros: number } | null): void => {
    estimateHeld?.();
    estimateHeld = undefined;
    if (counted !== null && env.reservations) env.reservations.hold(env.reservations.store.reserve(request.orgId, counted.costMicros));
  };
  const row = (candidate: Candidate, startedAt: number, latencyMs: number, usage: EnrichmentUsage, outcome: UsageOutcome): void => {
    const cost = costMicros(candidate.provider, candidate.model, usage.inputTokens, usage.outputTokens);
    if (candidate.source === 'platform' && outcome !== 'quota_exceeded') {
      settleAttempt(outcome === 'ok' || usage.inputTokens > 0 || usage.outputTokens > 0 || cost > 0 ? { costMicros: cost } : null);
    }
    totals.inputTokens += usage.inputTokens;
    totals.outputTokens += usage.outputTokens;
    totals.costMicros += cost;
    totals.calls += usage.calls;
    rows.push({
      id: randomUUID(),
      orgId: request.orgId,
      userId: request.userId,
      requestId: request.requestId,
      at: new Date(startedAt).toISOString(),
      provider: candidate.provider,
      model: candidate.model,
      source: candidate.source,
      secretId: candidate.secretId,
      task: request.task,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costMicros: cost,
      latencyMs: Math.max(0, Math.round(latencyMs)),
      outcome,
    });
  };

  for (const step of steps) {
    if (step.kind === 'skip') {
      attempts.push({ provider: step.provider, source: step.source, outcome: 'skipped', ms: 0 });
      if (step.reason !== undefined) skipReasons.push(step.reason);
      continue;
    }
    if (request.signal?.aborted) return { kind: 'aborted', rows };
    const { candidate } = step;
    const startedAt = clock();
    if (candidate.source === 'platform') {
      const refusal = quotaRefusal(env, request);
      if (refusal) {
        row(candidate, startedAt, 0, { inputTokens: 0, outputTokens: 0, calls: 0 }, 'quota_exceeded');
        return { kind: 'failed', error: refusal, rows };
      }
      const estimate = estimateEnrichmentTokens(request.task, request.text, candidate.contextTokens);
      const estimatedCost = costMicros(candidate.provider, candidate.model, estimate.inputTokens, estimate.outputTokens);
      if (env.reservations) {
        estimateHeld = env.reservations.store.reserve(request.orgId, estimatedCost);
        // Also released with the request's others, should the attempt end in a crash.
        env.reservations.hold(estimateHeld);
      }
    }
    const started = performance.now();
    let apiKey: string | null;
    try {
      apiKey = await candidate.openKey();
    } catch (error) {
      // No call was made with it, so no usage row: the route moves on as past a key without a grant.
      if (candidate.source === 'platform') settleAttempt(null);
      env.onKeyUnavailable?.(candidate, error);
      attempts.push({ provider: candidate.provider, source: candidate.source, outcome: 'skipped', ms: 0 });
      continue;
    }
    progressHere = 0;
    try {
      const output = await runEnrichment(
        {
          adapter: env.adapters.forProvider(candidate.provider),
          call: { provider: candidate.provider, model: candidate.model, apiKey, baseUrl: candidate.baseUrl, allowedBaseUrls: env.allowedBaseUrls, timeoutMs: env.timeoutFor(candidate.provider) },
          contextTokens: candidate.contextTokens,
        },
        {
          task: request.task,
          text: request.text,
          ...(request.title === undefined ? {} : { title: request.title }),
          ...(request.signal === undefined ? {} : { signal: request.signal }),
          ...(onProgress === undefined ? {} : { onProgress }),
        },
      );
      const ms = performance.now() - started;
      row(candidate, startedAt, ms, output.usage, 'ok');
      attempts.push({ provider: candidate.provider, source: candidate.source, outcome: 'ok', ms: Math.round(ms) });
      return {
        kind: 'ok',
        rows,
        paidBy: candidate,
        finishedAt: new Date(clock()).toISOString(),
        body: {
          ...(output.summary === undefined ? {} : { summary: output.summary }),
          ...(output.entities === undefined ? {} : { entities: output.entities }),
          route: {
            provider: candidate.provider,
            model: candidate.model,
            source: candidate.source,
            ...(candidate.secretId === null ? {} : { secretId: candidate.secretId }),
            attempts,
          },
          usage: { ...totals },
        },
      };
    } catch (error) {
      if (!(error instanceof EnrichmentFailure)) throw error;
      const ms = performance.now() - started;
      const { kind } = error.error;
      if (kind === 'aborted') {
        row(candidate, startedAt, ms, error.usage, 'error');
        return { kind: 'aborted', rows };
      }
      if (kind === 'refused') {
        // Recorded as an error with the tokens the provider billed; not in the receipt's attempts,
        // which only successful answers carry.
        row(candidate, startedAt, ms, error.usage, 'error');
        const name = getProvider(candidate.provider).name;
        // A filter's reason is worth naming (SAFETY, content_filter); a plain `refusal` says nothing more.
        const code = error.error.summary.providerCode;
        const reason = code === undefined || code === 'refusal' ? '' : ` (${code})`;
        const earlier = attempts.length === 0 ? '' : ` Earlier attempts: ${describeAttempts(attempts)}.`;
        const message = `${name} refused the content${reason}; no further provider was tried.${earlier}`;
        return { kind: 'failed', error: new AppError('content_refused', message), rows };
      }
      const outcome = attemptOutcome(kind);
      row(candidate, startedAt, ms, error.usage, outcome);
      attempts.push({ provider: candidate.provider, source: candidate.source, outcome, ms: Math.round(ms) });
      waits.push(outcome === 'rate_limited' ? error.error.summary.retryAfterMs : undefined);
      progressBefore += progressHere;
      const marked = outcome === 'key_rejected' && env.onKeyRejected(candidate, error.error.summary.status);
      if (outcome === 'key_rejected' && candidate.source === 'byok') {
        const name = getProvider(candidate.provider).name;
        const status = marked ? 'it is now marked invalid' : 'it was replaced meanwhile, so its status is unchanged';
        return { kind: 'failed', error: new AppError('key_rejected', `${name} refused the key; ${status}. Attempts: ${describeAttempts(attempts)}.`), rows };
      }
    } finally {
      // The plaintext key lives only for the attempt.
      apiKey = null;
    }
  }
  // A client that left while the last candidate failed gets no stored 502 for its id: it may retry.
  if (request.signal?.aborted) return { kind: 'aborted', rows };
  if (attempts.length === 0) return { kind: 'failed', error: new AppError('provider_unreachable', 'No provider can serve this request under the current policy.'), rows };
  const reasons = skipReasons.length === 0 ? '' : ` Skipped because ${skipReasons.join('; ')}.`;
  // No provider was called, and the model the request named is why at least one candidate was left
  // out: no provider failed, and the same request sent again would fare no better.
  if (skipReasons.length > 0 && attempts.every((attempt) => attempt.outcome === 'skipped')) {
    return { kind: 'failed', error: new AppError('bad_request', `model: nothing in the route could be tried (${describeAttempts(attempts)}).${reasons}`), rows };
  }
  const shortest = shortestWait(waits);
  const retryAfterSeconds = shortest === undefined ? undefined : Math.max(1, Math.ceil(shortest / 1000));
  const wait = retryAfterSeconds === undefined ? '' : ` Every provider asked to wait; try again in ${retryAfterSeconds} s.`;
  return {
    kind: 'failed',
    error: new AppError('provider_unreachable', `No provider in the route answered. Attempts: ${describeAttempts(attempts)}.${reasons}${wait}`),
    rows,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}
