// `audit verify`: recomputes each organization's hash chain; exit 5 when one is broken.
import type { Command } from 'commander';
import { EXIT } from '../exit-codes';
import type { CliRuntime } from '../runtime';

export function registerAuditCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('audit')
    .description('the hash-chained audit log')
    .command('verify')
    .description('verify the chain of --org, or of every organization')
    .action((_options: unknown, command: Command) =>
      runtime.run(command, (context, globals) => {
        const orgs = globals.org === undefined ? context.orgs.listOrgs().map((org) => org.id) : [context.org(globals.org).id];
        const results = orgs.map((orgId) => ({ orgId, ...context.audit.verifyChain(orgId) }));
        const ok = results.every((result) => result.ok);
        context.out.result({ ok, orgs: results }, () =>
          results.map((r) => `${r.orgId}  ${r.ok ? 'ok' : `BROKEN at event ${r.firstBrokenId ?? '?'}`}  (${r.events} events)`),
        );
        return ok ? EXIT.ok : EXIT.auditBroken;
      }),
    );
}
