// `backup <file>`: a consistent copy of the database while the server runs (SQLite online backup).
import type { Command } from 'commander';
import { BackupError, backupDatabase } from '../../services/backup';
import { CliError, EXIT } from '../exit-codes';
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
}
