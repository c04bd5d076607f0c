// `invite create` and `member list|role|remove`. The operator acts with an owner's powers
// (it may make owners), and the organization still always keeps one owner.
import { Option } from 'commander';
import type { Command } from 'commander';
import { Role } from '@byok/shared/wire/accounts';
import { CLI_ACTOR } from '../../services/admin/actor';
import { CliError, EXIT } from '../exit-codes';
import type { CliRuntime } from '../runtime';

function hours(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new CliError('--expires-in-hours must be a whole number of hours.', EXIT.usage, 'bad_request');
  return Number(value);
}

export function registerMemberCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('invite')
    .description('invite codes')
    .command('create')
    .description('a single-use invite code (the code is shown once; only its hash is stored)')
    .addOption(new Option('--role <role>', 'role of the new member').choices(['member', 'admin']).default('member'))
    .option('--expires-in-hours <hours>', '1 to 720', '72')
    .action((options: { role: 'member' | 'admin'; expiresInHours: string }, command: Command) =>
      runtime.run(command, (context, globals) => {
        const org = context.org(globals.org);
        const invite = context.invites.create(org.id, CLI_ACTOR, { role: options.role, expiresInHours: hours(options.expiresInHours) });
        context.out.result({ orgId: org.id, ...invite }, () => [invite.code, `role ${invite.role}, expires ${invite.expiresAt}`]);
      }),
    );

  const member = program.command('member').description('members of the organization');

  member
    .command('list')
    .action((_options: unknown, command: Command) =>
      runtime.run(command, (context, globals) => {
        const members = context.members.list(context.org(globals.org).id);
        context.out.result({ members }, () => members.map((m) => `${m.id}  ${m.role.padEnd(6)}  ${m.email}`));
      }),
    );

  member
    .command('role')
    .description("change a member's role")
    .argument('<member>', 'member id or email')
    .argument('<role>', 'owner|admin|member')
    .action((who: string, roleText: string, _options: unknown, command: Command) =>
      runtime.run(command, (context, globals) => {
        const role = Role.safeParse(roleText);
        if (!role.success) throw new CliError('The role must be owner, admin or member.', EXIT.usage, 'bad_request');
        const org = context.org(globals.org);
        const found = context.members.find(org.id, who);
        const view = context.members.changeRole(org.id, CLI_ACTOR, found.id, role.data);
        context.out.result({ member: view }, () => [`${view.email} is now ${view.role}`]);
      }),
    );

  member
    .command('remove')
    .description('remove a member: deletes their personal keys and revokes their sessions')
    .argument('<member>', 'member id or email')
    .action((who: string, _options: unknown, command: Command) =>
      runtime.run(command, (context, globals) => {
        const org = context.org(globals.org);
        const found = context.members.find(org.id, who);
        const result = context.members.remove(org.id, CLI_ACTOR, found.id);
        context.out.result({ removed: found.id, ...result }, () => [`removed ${found.email} (${result.keysDeleted} personal keys deleted)`]);
      }),
    );
}
