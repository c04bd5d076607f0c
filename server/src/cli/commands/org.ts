// `org list|show|create|set-plan`: organizations, their plan (the operator's, billing) and the
// effective policy. set-plan keeps the admin's policy (clamped to the new plan) unless
// --reset-policy drops it for the new plan's defaults.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { getPlan, PLAN_IDS, PlanId } from '@byok/shared/plans/plans';
import { effectivePolicy } from '@byok/shared/plans/policy';
import { CLI_ACTOR, auditActorOf } from '../../services/admin/actor';
import { CliError, EXIT } from '../exit-codes';
import type { CliRuntime } from '../runtime';

function planOf(value: string): PlanId {
  const parsed = PlanId.safeParse(value);
  if (!parsed.success) throw new CliError(`Unknown plan "${value}"; plans: ${PLAN_IDS.join(', ')}.`, EXIT.usage, 'bad_request');
  return parsed.data;
}

export function registerOrgCommands(program: Command, runtime: CliRuntime): void {
  const org = program.command('org').description('organizations and their plan');

  org
    .command('list')
    .description('every organization with its plan and member count')
    .action((_options: unknown, command: Command) =>
      runtime.run(command, (context) => {
        const orgs = context.orgs.listOrgs();
        context.out.result({ orgs }, () => (orgs.length === 0 ? ['(no organizations)'] : orgs.map((o) => `${o.id}  ${o.plan.padEnd(12)} ${String(o.members).padStart(4)} members  ${o.name}`)));
      }),
    );

  org
    .command('show')
    .description('the organization (--org, default: the first), its plan limits and effective policy')
    .action((_options: unknown, command: Command) =>
      runtime.run(command, (context, globals) => {
        const record = context.org(globals.org);
        const plan = getPlan(record.plan);
        const members = context.orgs.listMembers(record.id).length;
        const orgKeys = context.orgSecrets.listForOrg(record.id).length;
        const policy = effectivePolicy(record.plan, record.policy);
        context.out.result(
          { org: { id: record.id, name: record.name, plan: record.plan, createdAt: record.createdAt }, limits: plan, members, orgKeys, policy, policyCustomized: record.policy !== null },
          () => [
            `organization  ${record.name} (${record.id})`,
            `plan          ${plan.name} (${plan.id})`,
            `members       ${members}`,
            `org keys      ${orgKeys}`,
            `policy        ${record.policy === null ? 'plan defaults' : 'customized'}`,
            JSON.stringify(policy, null, 2),
          ],
        );
      }),
    );

  org
    .command('create')
    .description('a new organization (invite its first admin with `invite create --org <id> --role admin`)')
    .argument('<name>', 'display name')
    .option('--plan <plan>', `one of ${PLAN_IDS.join(', ')}`, 'pro')
    .action((name: string, options: { plan: string }, command: Command) =>
      runtime.run(command, (context) => {
        const plan = planOf(options.plan);
        const trimmed = name.trim();
        if (trimmed === '' || trimmed.length > 100) throw new CliError('The name must have 1 to 100 characters.', EXIT.usage, 'bad_request');
        const id = randomUUID();
        const createdAt = new Date().toISOString();
        context.db
          .transaction(() => {
            context.accounts.insertOrg({ id, name: trimmed, plan, policy: null, createdAt });
            context.audit.append({ orgId: id, actor: auditActorOf(CLI_ACTOR), action: 'org.created', target: id, detail: { name: trimmed, plan } });
          })
          .immediate();
        context.out.result({ org: { id, name: trimmed, plan, createdAt } }, () => [`created ${id} (${plan})`]);
      }),
    );

  org
    .command('set-plan')
    .description("change the organization's plan")
    .argument('<plan>', PLAN_IDS.join('|'))
    .option('--reset-policy', "drop the admin's policy so the new plan's defaults apply")
    .action((planText: string, options: { resetPolicy?: boolean }, command: Command) =>
      runtime.run(command, (context, globals) => {
        const plan = planOf(planText);
        const record = context.org(globals.org);
        const result = context.policy.setPlan(record.id, CLI_ACTOR, plan, { resetPolicy: options.resetPolicy === true });
        context.out.result({ org: { id: record.id, plan: result.to }, from: result.from, policy: result.policy }, () => [`plan ${result.from} -> ${result.to} for ${record.id}`]);
      }),
    );
}
