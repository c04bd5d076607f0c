// Who may pay for one call, in order (PRODUCT.md "Routing a call", API.md "Routing outcomes"):
// the caller's personal keys in their order (only the named provider's when one is named), then
// the organization's keys, then the operator's platform keys, each only where the effective
// policy allows; `builtin` when it is named, or when nothing else could be tried and no provider
// was named. A personal key the client released no grant for becomes a `skipped` step; a keyless
// personal entry needs no grant and is tried without a key, where the policy still allows its
// base URL.
import { contextTokensFor, findModel, getProvider, type ProviderId } from '@byok/shared';
import type { RouteSource } from '@byok/shared/wire/enrich';
import type { Policy } from '@byok/shared/plans/policy';
import type { PlanLimits } from '@byok/shared/plans/plans';
import { baseUrlAllowed, type OperatorBaseUrls } from './policy';

/** One key that can be tried. `openKey` releases the plaintext only when the step is reached. */
export interface Candidate {
  readonly provider: ProviderId;
  readonly model: string;
  readonly source: RouteSource;
  readonly secretId: string | null;
  /** For audit details and messages: the key's label (never the key). */
  readonly label: string | null;
  readonly baseUrl: string;
  readonly contextTokens: number;
  /**
   * A personal or organization key's version, as released to this request: a rejection marks
   * only that version invalid.
   */
  readonly version?: number;
  openKey(): Promise<string | null>;
}

/**
 * A candidate to try, or one left out that the receipt still names: a personal key without a grant,
 * or the operator's key asked for a model it does not serve (`reason` says why, for the error).
 */
export type RouteStep =
  | { readonly kind: 'try'; readonly candidate: Candidate }
  | { readonly kind: 'skip'; readonly provider: ProviderId; readonly source: 'byok' | 'platform'; readonly reason?: string };

export interface PersonalKeyInfo {
  readonly secretId: string;
  readonly provider: string;
  readonly label: string;
  readonly baseUrl: string;
  readonly defaultModel: string | null;
  /** The plaintext released by a grant in this request, or undefined without one. */
  readonly releasedKey: string | undefined;
  /** An entry stored without a key (keyRequired: false): used without a grant, no key sent. */
  readonly keyless?: boolean;
  readonly version?: number;
}

export interface OrgKeyInfo {
  readonly secretId: string;
  readonly provider: string;
  readonly label: string;
  readonly baseUrl: string;
  readonly defaultModel: string | null;
  readonly version: number;
  /** The key at `version`; throws when it has been rotated or deleted since. */
  open(): Promise<string>;
}

export interface CandidateInputs {
  readonly policy: Policy;
  readonly plan: PlanLimits;
  readonly personal: readonly PersonalKeyInfo[];
  readonly org: readonly OrgKeyInfo[];
  /** The operator's keys, in file order. */
  readonly platform: ReadonlyArray<readonly [ProviderId, string]>;
  /** BYOK_PROVIDER_BASE_URLS. */
  readonly operatorBaseUrls: OperatorBaseUrls;
  readonly provider?: ProviderId;
  readonly model?: string;
}

/**
 * The base URL a call to `provider` goes to: the operator's override when there is one (a proxy,
 * a regional endpoint, an emulator), else the catalog's fixed host, else the key's own URL.
 */
export function baseUrlFor(provider: ProviderId, keyBaseUrl: string, operatorBaseUrls: OperatorBaseUrls): string | null {
  const override = operatorBaseUrls[provider];
  if (override !== undefined) return override;
  const entry = getProvider(provider);
  if (entry.baseUrl === 'fixed') return entry.defaultBaseUrl;
  if (entry.baseUrl === 'required') return keyBaseUrl !== '' ? keyBaseUrl : entry.defaultBaseUrl;
  return '';
}

/** The request's model where it applies to this provider, else the key's, else the catalog's. */
function modelFor(provider: ProviderId, inputs: CandidateInputs, keyDefault: string | null): string {
  const entry = getProvider(provider);
  if (inputs.model !== undefined && (inputs.provider === provider || findModel(provider, inputs.model) !== undefined)) return inputs.model;
  return keyDefault ?? entry.defaultModel;
}

function asProvider(id: string): ProviderId | undefined {
  const entry = getProvider(id);
  return entry?.id;
}

export function builtinCandidate(): Candidate {
  const entry = getProvider('builtin');
  return {
    provider: 'builtin',
    model: entry.defaultModel,
    source: 'builtin',
    secretId: null,
    label: null,
    baseUrl: '',
    contextTokens: contextTokensFor('builtin', entry.defaultModel),
    openKey: async () => null,
  };
}

export function buildRouteSteps(inputs: CandidateInputs): RouteStep[] {
  const { policy } = inputs;
  if (inputs.provider === 'builtin') return [{ kind: 'try', candidate: builtinCandidate() }];
  const wanted = (provider: ProviderId): boolean => inputs.provider === undefined || inputs.provider === provider;
  const steps: RouteStep[] = [];

  if (policy.byokEnabled && inputs.plan.byok) {
    for (const key of inputs.personal) {
      const provider = asProvider(key.provider);
      if (provider === undefined || !wanted(provider) || policy.providers[provider]?.byok === false) continue;
      const keyless = key.keyless === true;
      // The policy in force decides, not the one the key was saved under: a base URL an admin has
      // since removed gets no key (PRODUCT.md: "a base URL the key was sealed with that the policy
      // allows"). A keyless entry, whose URL nothing binds, is asked the same on every call.
      if (!baseUrlAllowed(policy, inputs.operatorBaseUrls, provider, key.baseUrl)) continue;
      if (key.releasedKey === undefined && !keyless) {
        steps.push({ kind: 'skip', provider, source: 'byok' });
        continue;
      }
      const baseUrl = baseUrlFor(provider, key.baseUrl, inputs.operatorBaseUrls);
      if (baseUrl === null) continue;
      const model = modelFor(provider, inputs, key.defaultModel);
      const apiKey = keyless ? null : (key.releasedKey ?? null);
      steps.push({
        kind: 'try',
        candidate: {
          provider,
          model,
          source: 'byok',
          secretId: key.secretId,
          label: key.label,
          baseUrl,
          contextTokens: contextTokensFor(provider, model),
          ...(key.version === undefined ? {} : { version: key.version }),
          openKey: async () => apiKey,
        },
      });
    }
  }

  const usable = (provider: ProviderId): boolean => policy.providers[provider]?.platform !== false;
  const ownSteps = steps.some((step) => step.kind === 'try');
  // `never`: the shared keys serve members who have no key of their own, never as a fallback.
  const sharedAllowed = policy.platformFallback === 'auto' || !ownSteps;

  if (sharedAllowed && inputs.plan.orgKeys) {
    for (const key of inputs.org) {
      const provider = asProvider(key.provider);
      if (provider === undefined || !wanted(provider) || !usable(provider)) continue;
      if (!baseUrlAllowed(policy, inputs.operatorBaseUrls, provider, key.baseUrl)) continue;
      const baseUrl = baseUrlFor(provider, key.baseUrl, inputs.operatorBaseUrls);
      if (baseUrl === null) continue;
      const model = modelFor(provider, inputs, key.defaultModel);
      steps.push({
        kind: 'try',
        candidate: {
          provider,
          model,
          source: 'org',
          secretId: key.secretId,
          label: key.label,
          baseUrl,
          contextTokens: contextTokensFor(provider, model),
          version: key.version,
          openKey: () => key.open(),
        },
      });
    }
  }

  if (sharedAllowed) {
    for (const [provider, apiKey] of inputs.platform) {
      if (!wanted(provider) || !usable(provider) || provider === 'builtin') continue;
      const baseUrl = baseUrlFor(provider, '', inputs.operatorBaseUrls);
      if (baseUrl === null || baseUrl === '') continue;
      // The operator's key is counted against the quota's cost cap at catalog prices, and a model the
      // catalog does not list is priced as the provider's default: it could cost any multiple of
      // what is counted. So a paid provider's shared key serves only the catalog's models. (A local
      // provider's models are all priced at 0, and its server takes whatever models it serves.)
      const entry = getProvider(provider);
      if (inputs.model !== undefined && inputs.provider === provider && !entry.local && findModel(provider, inputs.model) === undefined) {
        steps.push({ kind: 'skip', provider, source: 'platform', reason: `the shared ${entry.name} key serves only the models in the catalog` });
        continue;
      }
      const model = modelFor(provider, inputs, null);
      steps.push({
        kind: 'try',
        candidate: { provider, model, source: 'platform', secretId: null, label: null, baseUrl, contextTokens: contextTokensFor(provider, model), openKey: async () => apiKey },
      });
    }
  }

  // Builtin only when nothing could be tried and no provider was named; never after a failure.
  if (inputs.provider === undefined && !steps.some((step) => step.kind === 'try')) steps.push({ kind: 'try', candidate: builtinCandidate() });
  return steps;
}
