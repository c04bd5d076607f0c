// Commands that must not run beside a companion serving the same data directory (key rotations,
// restore) hold the directory's lock as a companion does (services/server-lock.ts): a running
// companion makes them refuse (exit 4), and a companion started meanwhile refuses to start.
import { claimDataDir, DataDirInUse } from '../services/server-lock';
import { CliError, EXIT } from './exit-codes';

export async function holdingDataDir<T>(dataDir: string, verb: 'rotate' | 'restore', body: () => Promise<T>): Promise<T> {
  let claim: { release(): void };
  try {
    claim = claimDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirInUse)) throw error;
    const why =
      verb === 'rotate'
        ? 'or another rotation or a restore is running: a companion keeps its keys in memory'
        : 'or a rotation or another restore is running: a companion keeps the database open';
    throw new CliError(
      `A companion${error.pid === null ? '' : ` (pid ${error.pid})`} is serving ${dataDir}, ${why}. Stop it, ${verb}, then start it again.`,
      EXIT.refused,
      'server_running',
    );
  }
  try {
    return await body();
  } finally {
    claim.release();
  }
}
