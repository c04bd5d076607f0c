// The admin CLI as a commander program that runs in-process (tests) or from cli.ts (operators):
// `runCli(argv, io)` resolves to the exit code instead of exiting.
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit';
import { registerBackupCommand } from './commands/backup';
import { registerKeyCommands } from './commands/keys';
import { registerMemberCommands } from './commands/members';
import { registerOrgCommands } from './commands/org';
import { registerPolicyCommands } from './commands/policy';
import { EXIT } from './exit-codes';
import type { ExitCode } from './exit-codes';
import { Output } from './output';
import type { CliIo } from './output';
import { CliRuntime } from './runtime';

export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('byok-admin')
    .description('BYOK Companion admin CLI: organizations, plans, policy, members, keys, audit, backup')
    .option('--data-dir <dir>', 'the server data directory (default: $BYOK_DATA_DIR or ./data)')
    .option('--org <id>', 'the organization to act on (default: the first one created)')
    .option('--json', 'machine-readable output on stdout (errors as JSON on stderr)')
    .configureOutput({ writeOut: (text) => runtime.io.stdout(text), writeErr: (text) => runtime.io.stderr(text) })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerOrgCommands(program, runtime);
  registerPolicyCommands(program, runtime);
  registerMemberCommands(program, runtime);
  registerKeyCommands(program, runtime);
  registerAuditCommands(program, runtime);
  registerBackupCommand(program, runtime);
  // Sub-commands inherit the overrides so a bad option anywhere is a usage error, not an exit.
  const inherit = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({ writeOut: (text) => runtime.io.stdout(text), writeErr: (text) => runtime.io.stderr(text) });
      sub.allowExcessArguments(false);
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const runtime = new CliRuntime(io);
  const program = buildProgram(runtime);
  // `pnpm --filter @byok/server cli -- org show` passes the separator through.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  if (args.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      // Includes a command group without its sub-command ('commander.help': help shown, nothing done).
      return EXIT.usage;
    }
    return runtime.report(new Output(io, args.includes('--json')), error);
  }
  return runtime.exitCode;
}
