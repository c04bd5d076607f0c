// The organization's policy as admins and the operator manage it: read the effective policy,
// replace it (refused with plan_limit beyond the plan), and change the plan (CLI only). Every
// change and its audit event (with the before/after diff) commit in one transaction.
import { AppError } from '@byok/shared';
import { getPlan } from '@byok/shared/plans/plans';
import type { PlanId } from '@byok/shared/plans/plans';
import { checkPolicyWithinPlan, effectivePolicy } from '@byok/shared/plans/policy';
import type { Policy } from '@byok/shared/plans/policy';
import type { AccountsStore, OrgRecord } from '../../store/accounts-store';
import type { Db } from '../../store/db';
import type { AuditService } from '../audit';
import { auditActorOf } from './actor';
import type { AdminActor } from './actor';
import type { OrgAdminStore } from './org-admin-store';
import { policyDiff } from './policy-diff';

export class PolicyAdminService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountsStore,
    private readonly store: OrgAdminStore,
    private readonly audit: AuditService,
  ) {}

  /** The policy in force: plan defaults overlaid with the admin's settings, clamped to the plan. */
  effectivePolicyFor(orgId: string): Policy {
    const org = this.mustGetOrg(orgId);
    return effectivePolicy(org.plan, org.policy);
  }

  /**
   * Replaces the whole policy. A value beyond the plan is a 403 plan_limit naming the field and
   * the plan that allows it; nothing is clamped silently on write.
   */
  put(orgId: string, actor: AdminActor, policy: Policy): Policy {
    return this.db
      .transaction(() => {
        const org = this.mustGetOrg(orgId);
        const violation = checkPolicyWithinPlan(org.plan, policy)[0];
        if (violation) throw new AppError('plan_limit', violation.message);
        const before = effectivePolicy(org.plan, org.policy);
        this.store.setPolicy(org.id, policy);
        const after = effectivePolicy(org.plan, policy);
        const changes = policyDiff(before, after);
        if (changes.length > 0) {
          this.audit.append({ orgId: org.id, actor: auditActorOf(actor), action: 'policy.updated', target: 'policy', detail: { changes: [...changes.map((change) => ({ ...change }))] } });
        }
        return after;
      })
      .immediate();
  }

  /**
   * The operator's (billing) change of plan. The stored policy stays and is clamped to the new
   * plan on read; `resetPolicy` drops it so the new plan's defaults apply.
   */
  setPlan(orgId: string, actor: AdminActor, plan: PlanId, options: { resetPolicy?: boolean } = {}): { from: PlanId; to: PlanId; policy: Policy } {
    getPlan(plan);
    return this.db
      .transaction(() => {
        const org = this.mustGetOrg(orgId);
        const before = effectivePolicy(org.plan, org.policy);
        if (org.plan === plan && options.resetPolicy !== true) return { from: plan, to: plan, policy: before };
        this.store.setPlan(org.id, plan);
        const stored = options.resetPolicy === true ? null : org.policy;
        if (options.resetPolicy === true) this.store.setPolicy(org.id, null);
        const after = effectivePolicy(plan, stored);
        const changes = policyDiff(before, after).map((change) => ({ ...change }));
        this.audit.append({
          orgId: org.id,
          actor: auditActorOf(actor),
          action: 'org.plan_changed',
          target: org.id,
          detail: { from: org.plan, to: plan, resetPolicy: options.resetPolicy === true, changes },
        });
        return { from: org.plan, to: plan, policy: after };
      })
      .immediate();
  }

  private mustGetOrg(orgId: string): OrgRecord {
    const org = this.accounts.getOrg(orgId);
    if (!org) throw new AppError('not_found', 'No such organization.');
    return org;
  }
}
