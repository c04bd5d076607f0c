// `policy get|set`: the effective policy, and replacing it (JSON) or changing fields (flags).
// Values beyond the plan are refused (exit 4) with the field and the plan that allows them.
import { Option } from 'commander';
import type { Command } from 'commander';
import { CLI_ACTOR } from '../../services/admin/actor';
import { policyFromFlags } from '../policy-flags';
import type { PolicyFlags } from '../policy-flags';
import type { CliRuntime } from '../runtime';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerPolicyCommands(program: Command, runtime: CliRuntime): void {
  const policy = program.command('policy').description("the organization's policy");

  policy
    .command('get')
    .description('the effective policy (plan defaults overlaid with the admin settings, clamped to the plan)')
    .action((_options: unknown, command: Command) =>
      runtime.run(command, (context, globals) => {
        const org = context.org(globals.org);
        const effective = context.policy.effectivePolicyFor(org.id);
        context.out.result({ policy: effective }, () => [JSON.stringify(effective, null, 2)]);
      }),
    );

  policy
    .command('set')
    .description('replace the policy (--json/--file) or change fields of the policy in force (flags)')
    .option('--json <policy>', 'the whole policy as JSON (bare or as { "policy": ... })')
    .option('--file <path>', 'the whole policy from a JSON file')
    .option('--byok <on|off>', 'BYOK for the organization')
    .option('--provider-order <on|off>', 'members may order their keys')
    .option('--personal-provider-limit <n|unlimited>', 'providers a member may hold keys for')
    .addOption(new Option('--platform-fallback <mode>', 'fall back to the platform key').choices(['never', 'auto']))
    .addOption(new Option('--byok-metering <mode>', 'how BYOK calls count against the quota').choices(['bypass', 'track']))
    .option('--monthly-calls <n|unlimited>', 'platform quota: calls per UTC month')
    .option('--monthly-cost-micros <n|unlimited>', 'platform quota: cost cap per UTC month (micro-dollars)')
    .option('--max-key-age-days <n|none>', 'rotation reminder')
    .option('--allowed-base-url <url>', 'allowed base URL for local providers (repeat; replaces the list; "" clears it)', collect)
    .option('--provider <id:byok=on|off,platform=on|off>', 'one provider rule (repeatable)', collect)
    .action((options: PolicyFlags, command: Command) =>
      runtime.run(command, (context, globals) => {
        const org = context.org(globals.org);
        const wanted = policyFromFlags(options, context.policy.effectivePolicyFor(org.id));
        const effective = context.policy.put(org.id, CLI_ACTOR, wanted);
        context.out.result({ policy: effective }, () => [JSON.stringify(effective, null, 2)]);
      }),
    );
}
