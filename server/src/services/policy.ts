// The policy in force for an organization and the plan-limit messages that name the limit and the
// plan that lifts it. The plan table and policy rules themselves live in shared/src/plans.
import { firstPlanWhere, getPlan } from '@byok/shared/plans/plans';
import type { PlanLimits } from '@byok/shared/plans/plans';
import { baseUrlListed, effectivePolicy, isBaseUrlAllowed } from '@byok/shared/plans/policy';
import type { Policy } from '@byok/shared/plans/policy';
import { AppError } from '@byok/shared';
import { getProvider } from '@byok/shared/providers/catalog';
import type { ProviderId } from '@byok/shared/providers/types';
import type { OrgRecord } from '../store/accounts-store';

export function policyOf(org: OrgRecord): Policy {
  return effectivePolicy(org.plan, org.policy);
}

/** A 403 plan_limit whose message says what the plan forbids and which plan lifts it. */
export function planLimitError(org: OrgRecord, what: string, lifts: (plan: PlanLimits) => boolean): AppError {
  const plan = getPlan(org.plan);
  const liftedBy = firstPlanWhere(lifts);
  const lift = liftedBy === null ? 'no plan lifts this limit' : `the ${getPlan(liftedBy).name} plan lifts this limit`;
  return new AppError('plan_limit', `${what} is not allowed on the ${plan.name} plan; ${lift}.`);
}

/**
 * The operator's provider base URLs (BYOK_PROVIDER_BASE_URLS) by provider, already normalized: the
 * configuration checks and normalizes them once at start (config.ts).
 */
export type OperatorBaseUrls = Readonly<Partial<Record<ProviderId, string>>>;

/** All of the operator's base URLs: the outbound rules trust them. */
export function operatorAllowedBaseUrls(operatorBaseUrls: OperatorBaseUrls): string[] {
  return Object.values(operatorBaseUrls);
}

/**
 * The base URLs a key of `provider` may name: the policy's, plus the URL the operator configured
 * for that provider (BYOK_PROVIDER_BASE_URLS). A local base URL at or under the operator's is as
 * good as one the organization listed, at save time, in routing and in verification alike. Only
 * that provider's: an operator URL for one provider allows nothing for another.
 */
function allowedBaseUrlsFor(policy: Policy, operatorBaseUrls: OperatorBaseUrls, provider: ProviderId): string[] {
  const configured = operatorBaseUrls[provider];
  return configured === undefined ? policy.allowedBaseUrls : [...policy.allowedBaseUrls, configured];
}

/** The shared base URL rule (isBaseUrlAllowed) with the operator's URL for `provider` counted. */
export function baseUrlAllowed(policy: Policy, operatorBaseUrls: OperatorBaseUrls, provider: ProviderId, baseUrl: string): boolean {
  return isBaseUrlAllowed({ allowedBaseUrls: allowedBaseUrlsFor(policy, operatorBaseUrls, provider) }, provider, baseUrl);
}

/**
 * A key for a local provider may only name a base URL the organization's policy or the operator
 * allows (a 400 otherwise).
 */
export function checkLocalBaseUrl(policy: Policy, operatorBaseUrls: OperatorBaseUrls, provider: ProviderId, baseUrl: string): void {
  if (!getProvider(provider).local || baseUrl === '') return;
  if (!baseUrlListed(allowedBaseUrlsFor(policy, operatorBaseUrls, provider), baseUrl)) {
    throw new AppError('bad_request', "baseUrl is not in your organization's allowed base URLs.");
  }
}
