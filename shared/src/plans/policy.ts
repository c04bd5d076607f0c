// The organization policy (API.md "Policy"): its schema, each plan's defaults, and the checks
// that keep a policy within its plan. `null` means unlimited and `0` none.
import { z } from 'zod';
import { getProvider } from '../providers/catalog';
import { PROVIDER_IDS, ProviderId } from '../providers/types';
import { NormalizedBaseUrl } from '../wire/common';
import { firstPlanWhere, getPlan } from './plans';
import type { PlanId, PlanLimits } from './plans';

export const ProviderRule = z.strictObject({
  /** Members may use personal keys for this provider. */
  byok: z.boolean(),
  /** The platform key (and organization keys) of this provider may be used. */
  platform: z.boolean(),
});
export type ProviderRule = z.infer<typeof ProviderRule>;

const Limit = z.int().min(0).nullable();

export const Policy = z.strictObject({
  byokEnabled: z.boolean(),
  /** Per provider; a provider left out of a PUT gets `{ byok: true, platform: true }`. */
  providers: z.partialRecord(ProviderId, ProviderRule),
  personalProviderLimit: Limit,
  providerOrder: z.boolean(),
  platformFallback: z.enum(['never', 'auto']),
  byokMetering: z.enum(['bypass', 'track']),
  platformQuota: z.strictObject({ monthlyCalls: Limit, monthlyCostMicros: Limit }),
  allowedBaseUrls: z.array(NormalizedBaseUrl).max(100),
  maxKeyAgeDays: z.int().min(1).max(3650).nullable(),
});
export type Policy = z.infer<typeof Policy>;

/** Policy providers cover every catalog provider that can hold a key (not builtin). */
export const POLICY_PROVIDER_IDS: readonly ProviderId[] = PROVIDER_IDS.filter((id) => id !== 'builtin');

const OPEN_RULE: ProviderRule = { byok: true, platform: true };

export function defaultPolicy(planId: PlanId): Policy {
  const plan = getPlan(planId);
  const providers: Policy['providers'] = {};
  for (const id of POLICY_PROVIDER_IDS) providers[id] = { byok: plan.byok, platform: true };
  return {
    byokEnabled: plan.byok,
    providers,
    personalProviderLimit: plan.personalProviderLimit,
    providerOrder: plan.providerOrder,
    platformFallback: 'auto',
    byokMetering: 'bypass',
    platformQuota: { ...plan.platformQuota },
    // Loopback and private hosts stay refused until an admin names them (outbound rules).
    allowedBaseUrls: [],
    maxKeyAgeDays: 90,
  };
}

export interface PolicyViolation {
  /** Dotted path of the field, e.g. `platformQuota.monthlyCalls`. */
  field: string;
  /** What the plan allows for this field (null = unlimited). */
  allowed: number | boolean | null;
  requested: number | boolean | null;
  /** The first plan that would allow the requested value, or null when none does. */
  liftedBy: PlanId | null;
  /** A sentence for the 403 `plan_limit` message; contains no user data beyond numbers. */
  message: string;
}

/** `requested` fits under `allowed` where null is unlimited. */
function withinLimit(requested: number | null, allowed: number | null): boolean {
  if (allowed === null) return true;
  return requested !== null && requested <= allowed;
}

function describe(value: number | null): string {
  return value === null ? 'unlimited' : String(value);
}

function liftText(liftedBy: PlanId | null): string {
  return liftedBy === null ? 'no plan allows this' : `the ${liftedBy} plan allows it`;
}

function limitViolation(
  field: string,
  requested: number | null,
  allowed: number | null,
  pick: (plan: PlanLimits) => number | null,
  planId: PlanId,
): PolicyViolation | null {
  if (withinLimit(requested, allowed)) return null;
  const liftedBy = firstPlanWhere((plan) => withinLimit(requested, pick(plan)));
  return {
    field,
    allowed,
    requested,
    liftedBy,
    message: `${field} ${describe(requested)} exceeds the ${planId} plan's ${describe(allowed)}; ${liftText(liftedBy)}`,
  };
}

function flagViolation(field: string, requested: boolean, allowed: boolean, pick: (plan: PlanLimits) => boolean, planId: PlanId): PolicyViolation | null {
  if (!requested || allowed) return null;
  const liftedBy = firstPlanWhere(pick);
  return {
    field,
    allowed,
    requested,
    liftedBy,
    message: `${field} is not available on the ${planId} plan; ${liftText(liftedBy)}`,
  };
}

/** Every way `policy` goes beyond `planId`; empty when it fits. */
export function checkPolicyWithinPlan(planId: PlanId, policy: Policy): PolicyViolation[] {
  const plan = getPlan(planId);
  const found = [
    flagViolation('byokEnabled', policy.byokEnabled, plan.byok, (p) => p.byok, planId),
    limitViolation('personalProviderLimit', policy.personalProviderLimit, plan.personalProviderLimit, (p) => p.personalProviderLimit, planId),
    flagViolation('providerOrder', policy.providerOrder, plan.providerOrder, (p) => p.providerOrder, planId),
    limitViolation(
      'platformQuota.monthlyCalls',
      policy.platformQuota.monthlyCalls,
      plan.platformQuota.monthlyCalls,
      (p) => p.platformQuota.monthlyCalls,
      planId,
    ),
    limitViolation(
      'platformQuota.monthlyCostMicros',
      policy.platformQuota.monthlyCostMicros,
      plan.platformQuota.monthlyCostMicros,
      (p) => p.platformQuota.monthlyCostMicros,
      planId,
    ),
  ];
  return found.filter((violation): violation is PolicyViolation => violation !== null);
}

function clampLimit(requested: number | null, allowed: number | null): number | null {
  return withinLimit(requested, allowed) ? requested : allowed;
}

/** Every provider present, each rule copied; missing providers get the open rule. */
function completeProviders(providers: Policy['providers']): Policy['providers'] {
  const out: Policy['providers'] = {};
  for (const id of POLICY_PROVIDER_IDS) out[id] = { ...(providers[id] ?? OPEN_RULE) };
  return out;
}

/**
 * `policy` brought within `planId`: each value beyond the plan is lowered to the plan's, the
 * rest kept, and every provider listed. Used on read so that a plan downgrade takes effect
 * without rewriting stored policies.
 */
export function clampPolicy(planId: PlanId, policy: Policy): Policy {
  const plan = getPlan(planId);
  return {
    ...policy,
    byokEnabled: policy.byokEnabled && plan.byok,
    providers: completeProviders(policy.providers),
    personalProviderLimit: clampLimit(policy.personalProviderLimit, plan.personalProviderLimit),
    providerOrder: policy.providerOrder && plan.providerOrder,
    platformQuota: {
      monthlyCalls: clampLimit(policy.platformQuota.monthlyCalls, plan.platformQuota.monthlyCalls),
      monthlyCostMicros: clampLimit(policy.platformQuota.monthlyCostMicros, plan.platformQuota.monthlyCostMicros),
    },
    allowedBaseUrls: [...policy.allowedBaseUrls],
  };
}

/** The policy in force: the stored one within the plan, or the plan's defaults. */
export function effectivePolicy(planId: PlanId, stored: Policy | null): Policy {
  return stored === null ? defaultPolicy(planId) : clampPolicy(planId, stored);
}

export type PlanFeature = 'byok' | 'providerOrder' | 'orgKeys' | 'apiAccess';

const FEATURE_TEXT: Record<PlanFeature, string> = {
  byok: 'storing personal keys',
  providerOrder: 'ordering keys',
  orgKeys: 'organization keys',
  apiAccess: 'API access',
};

/**
 * A plan feature the caller asked for but the plan lacks (e.g. `PUT /v1/secrets/order` on
 * private), as a violation whose message suits a 403 `plan_limit`; null when the plan has it.
 */
export function checkPlanFeature(planId: PlanId, feature: PlanFeature): PolicyViolation | null {
  if (getPlan(planId)[feature]) return null;
  const liftedBy = firstPlanWhere((plan) => plan[feature]);
  return {
    field: feature,
    allowed: false,
    requested: true,
    liftedBy,
    message: `${FEATURE_TEXT[feature]} is not available on the ${planId} plan; ${liftText(liftedBy)}`,
  };
}

/**
 * Whether saving a personal key for `provider` stays within the personal provider limit, given
 * the providers the user already holds keys for (a rotation or a second key for a held provider
 * never counts as new).
 */
export function withinPersonalProviderLimit(limit: number | null, heldProviders: readonly string[], provider: string): boolean {
  const held = new Set(heldProviders);
  if (held.has(provider)) return limit === null || limit > 0;
  return limit === null || held.size + 1 <= limit;
}

/**
 * Whether `allowedBaseUrls` names `baseUrl`: equal to an entry, or below it on a path-segment
 * boundary (`http://10.0.0.7:8000` allows `http://10.0.0.7:8000/v1`, not `...:80001`).
 */
export function baseUrlListed(allowedBaseUrls: readonly string[], baseUrl: string): boolean {
  return allowedBaseUrls.some((allowed) => baseUrl === allowed || baseUrl.startsWith(`${allowed}/`));
}

/**
 * The save-time base URL rule for a key (API.md: a base URL the policy does not allow is a 400):
 * fixed-host providers take none; Azure takes any https://<resource>.openai.azure.com; local and
 * self-hosted providers only a URL the policy's allowedBaseUrls names. Connect-time checks of the
 * outbound rules come on top of this.
 */
export function isBaseUrlAllowed(policy: Pick<Policy, 'allowedBaseUrls'>, provider: ProviderId, baseUrl: string): boolean {
  const entry = getProvider(provider);
  if (entry.baseUrl === 'none') return false;
  if (entry.baseUrl === 'fixed') return baseUrl === '';
  if (baseUrl === '') return false;
  if (entry.baseUrlHostPattern !== null) return new RegExp(entry.baseUrlHostPattern).test(baseUrl);
  return baseUrlListed(policy.allowedBaseUrls, baseUrl);
}
