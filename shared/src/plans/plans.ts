// The plan table of PRODUCT.md as code: what each plan allows, and its default platform quota.
// The plan is the operator's (billing); the organization's policy may only tighten within it.
import { z } from 'zod';

export const PLAN_IDS = ['trial', 'private', 'pro', 'business', 'business_api'] as const;
export const PlanId = z.enum(PLAN_IDS);
export type PlanId = z.infer<typeof PlanId>;

export interface PlanLimits {
  readonly id: PlanId;
  readonly name: string;
  /** Personal keys may be stored and used (BYOK). */
  readonly byok: boolean;
  /** Distinct providers a user may hold personal keys for; null = unlimited. */
  readonly personalProviderLimit: number | null;
  /** Users may order their keys (routing follows the order). */
  readonly providerOrder: boolean;
  /** Admins may store organization keys. */
  readonly orgKeys: boolean;
  /** Programmatic API access for scripts and other clients. */
  readonly apiAccess: boolean;
  /** The platform key's monthly ceiling for the organization (integer micro-dollars for cost). */
  readonly platformQuota: { readonly monthlyCalls: number; readonly monthlyCostMicros: number };
}

/** Plans in ascending order; "which plan lifts a limit" searches this order. */
export const PLANS: readonly PlanLimits[] = [
  {
    id: 'trial',
    name: 'Trial',
    byok: false,
    personalProviderLimit: 0,
    providerOrder: false,
    orgKeys: false,
    apiAccess: false,
    platformQuota: { monthlyCalls: 50, monthlyCostMicros: 500_000 },
  },
  {
    id: 'private',
    name: 'Private',
    byok: true,
    personalProviderLimit: 1,
    providerOrder: false,
    orgKeys: false,
    apiAccess: false,
    platformQuota: { monthlyCalls: 500, monthlyCostMicros: 5_000_000 },
  },
  {
    id: 'pro',
    name: 'Pro',
    byok: true,
    personalProviderLimit: null,
    providerOrder: true,
    orgKeys: false,
    apiAccess: false,
    platformQuota: { monthlyCalls: 2_000, monthlyCostMicros: 20_000_000 },
  },
  {
    id: 'business',
    name: 'Business',
    byok: true,
    personalProviderLimit: null,
    providerOrder: true,
    orgKeys: true,
    apiAccess: false,
    platformQuota: { monthlyCalls: 10_000, monthlyCostMicros: 100_000_000 },
  },
  {
    id: 'business_api',
    name: 'Business + API',
    byok: true,
    personalProviderLimit: null,
    providerOrder: true,
    orgKeys: true,
    apiAccess: true,
    platformQuota: { monthlyCalls: 50_000, monthlyCostMicros: 500_000_000 },
  },
];

const BY_ID = new Map<string, PlanLimits>(PLANS.map((plan) => [plan.id, plan]));

export function getPlan(id: PlanId): PlanLimits {
  const plan = BY_ID.get(id);
  if (!plan) throw new RangeError('unknown plan');
  return plan;
}

/** The first plan (ascending) for which `allows` holds, or null when none does. */
export function firstPlanWhere(allows: (plan: PlanLimits) => boolean): PlanId | null {
  return PLANS.find(allows)?.id ?? null;
}
