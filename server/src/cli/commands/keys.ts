// `master-key rotate` and `grant-keys rotate`. Both change key files of the data directory that a
// running server holds in memory, so both hold the data directory while they run (hold-data-dir.ts).
import type { Command } from 'commander';
import { CLI_ACTOR, auditActorOf } from '../../services/admin/actor';
import { RotationSetupError, rotateMasterKey } from '../../services/admin/master-key-files';
import { UnknownKekError } from '../../services/admin/master-key-rotation';
import { GrantKeyService } from '../../services/grant-keys';
import { loadServerIdentity } from '../../services/server-identity';
import { CliError, EXIT } from '../exit-codes';
import type { CliRuntime } from '../runtime';

export function registerKeyCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('master-key')
    .description('the organization-key KEK')
    .command('rotate')
    .description('re-wrap every organization data key under a new master key, in one transaction')
    .option('--keep-old', 'keep master.key.<oldKekId> (needed to open backups taken before the rotation)')
    .action((options: { keepOld?: boolean }, command: Command) =>
      runtime.runHolding(command, 'rotate', async (context) => {
        const masterKey = context.env['BYOK_MASTER_KEY'] === '' ? undefined : context.env['BYOK_MASTER_KEY'];
        const newMasterKey = context.env['BYOK_NEW_MASTER_KEY'] === '' ? undefined : context.env['BYOK_NEW_MASTER_KEY'];
        try {
          const result = await rotateMasterKey(
            { db: context.db, secrets: context.orgSecrets, orgs: context.orgs, audit: context.audit },
            { dataDir: context.dataDir, masterKey, newMasterKey, keepOld: options.keepOld === true },
            CLI_ACTOR,
          );
          context.out.result(result, () => [
            `re-wrapped ${result.rewrapped} organization keys: ${result.from.join(', ') || '(none)'} -> ${result.to}`,
            result.mode === 'env'
              ? 'Now set BYOK_MASTER_KEY to the value of BYOK_NEW_MASTER_KEY and restart the server.'
              : `The new key is in ${context.dataDir}/master.key; restart the server.${result.keptOldKeyFile ? ` The old key stays in ${result.keptOldKeyFile}.` : ''}`,
          ]);
        } catch (error) {
          if (error instanceof RotationSetupError || error instanceof UnknownKekError) throw new CliError(error.message, EXIT.dataFiles, 'key_material');
          throw error;
        }
      }),
    );

  program
    .command('grant-keys')
    .description('the keys clients encrypt grants to')
    .command('rotate')
    .description('start a new grant-key generation now (the previous one stays accepted for 10 minutes)')
    .action((_options: unknown, command: Command) =>
      runtime.runHolding(command, 'rotate', async (context) => {
        const identity = await loadServerIdentity(context.dataDir);
        const service = await GrantKeyService.open(context.dataDir, identity.audience, Date.now, { rotateIfDue: false });
        await service.rotate();
        const kids = service.keySet().keys.map((key) => key.kid);
        context.db
          .transaction(() => {
            for (const org of context.orgs.listOrgs()) {
              context.audit.append({ orgId: org.id, actor: auditActorOf(CLI_ACTOR), action: 'grant_keys.rotated', target: org.id, detail: { kids: [...kids] } });
            }
          })
          .immediate();
        context.out.result({ kids }, () => [`grant keys now published: ${kids.join(', ')}`, 'Restart the server so it serves the new keys.']);
      }),
    );
}
