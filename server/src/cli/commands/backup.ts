// `backup <file>`: a consistent copy of the database while the server runs (SQLite online backup).
// `restore <file>`: puts a backup in place of the database, with the companion stopped
// (services/restore.ts says what it keeps from the database it replaces).
import type { Command } from 'commander';
import { BackupError, backupDatabase } from '../../services/backup';
import { RestoreError, restoreDatabase } from '../../services/restore';
import { CliError, EXIT } from '../exit-codes';
import { holdingDataDir } from '../hold-data-dir';
import type { CliRuntime } from '../runtime';

export function registerBackupCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('backup')
    .description('copy the database to <file> (mode 0600); master.key and the other key files are not included')
    .argument('<file>', 'where to write the copy')
    .option('--force', 'overwrite <file> if it exists')
    .action((file: string, options: { force?: boolean }, command: Command) =>
      runtime.run(command, async (context) => {
        try {
          const result = await backupDatabase(context.db, file, { overwrite: options.force === true });
          context.out.result(result, () => [`backup written to ${result.file} (${result.bytes} bytes)`, 'Keep master.key (or BYOK_MASTER_KEY) safe separately: organization keys need it.']);
        } catch (error) {
          if (error instanceof BackupError) throw new CliError(error.message, EXIT.dataFiles, 'backup_failed');
          throw error;
        }
      }),
    );

  program
    .command('restore')
    .description('replace the database with a backup (stop the server first); the replaced one is kept beside it')
    .argument('<file>', 'a file written by `backup`')
    .action((file: string, _options: unknown, command: Command) =>
      runtime.runWithoutDatabase(command, ({ dataDir, env, out }) =>
        holdingDataDir(dataDir, 'restore', async () => {
          try {
            const masterKey = env['BYOK_MASTER_KEY'] === '' ? undefined : env['BYOK_MASTER_KEY'];
            const result = await restoreDatabase(dataDir, file, { masterKey });
            out.result(result, () => [
              `restored ${result.from} into ${dataDir}`,
              result.replacedKeptAs === null ? 'There was no database to replace.' : `The database it replaced is kept as ${result.replacedKeptAs}.`,
              ...(result.migrated.length > 0 ? [`Brought up to date: ${result.migrated.join(', ')}.`] : []),
              `Key versions continue from ${result.versionsFrom}, past every version given before.`,
              `${result.sessionsRevoked} sessions of the backup were revoked: everyone signs in again.`,
              ...(result.replaced === 'read'
                ? []
                : [`The replaced database ${result.replaced === 'none' ? 'is missing or empty' : 'could not be read'}, so grants used in its last 5 minutes are not known: start the companion no sooner than 6 minutes after it was lost.`]),
              ...(result.missingMasterKeys.length === 0
                ? []
                : [`Organization keys in the backup are wrapped under ${result.missingMasterKeys.join(', ')}, which is not the present master key: put that key back as master.key (or BYOK_MASTER_KEY) before starting.`]),
            ]);
          } catch (error) {
            if (error instanceof RestoreError) {
              throw error.reason === 'in_use' ? new CliError(error.message, EXIT.refused, 'database_in_use') : new CliError(error.message, EXIT.dataFiles, 'restore_failed');
            }
            throw error;
          }
        }),
      ),
    );
}
