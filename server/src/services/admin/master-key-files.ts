// The master key's files around a rotation. File mode: the new key is written to
// master.key.pending, the old one copied to master.key.<oldKekId>; after the database commits,
// pending replaces master.key and the copy is removed (unless asked to keep it). Environment mode
// (BYOK_MASTER_KEY): nothing is written; the operator supplies the new key in
// BYOK_NEW_MASTER_KEY and swaps the variables after the rotation.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../store/db';
import type { AuditService } from '../audit';
import { fsyncPath, writeFileAtomic } from '../data-dir-files';
import { loadMasterKek, MASTER_KEY_FILE, refuseNewMasterKeyUnderOrgKeys } from '../master-kek';
import type { AdminActor } from './actor';
import { rewrapOrgKeys } from './master-key-rotation';
import type { RewrapResult } from './master-key-rotation';
import type { OrgAdminStore } from './org-admin-store';
import type { OrgSecretsStore } from './org-secrets-store';

const PENDING_FILE = 'master.key.pending';
const BACKUP_FILE = /^master\.key\.(kek-[0-9a-f]{16})$/;

export interface RotationOptions {
  dataDir: string;
  /** BYOK_MASTER_KEY when the server runs with it (environment mode). */
  masterKey?: string | undefined;
  /** BYOK_NEW_MASTER_KEY: required in environment mode, optional in file mode (else generated). */
  newMasterKey?: string | undefined;
  /** File mode: keep master.key.<oldKekId> after success (for backups taken before the rotation). */
  keepOld?: boolean;
}

export interface RotationResult extends RewrapResult {
  mode: 'file' | 'env';
  /** File mode with keepOld: where the old key stays. */
  keptOldKeyFile?: string;
}

export class RotationSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationSetupError';
  }
}

/** Every KEK a rotation may need to unwrap: the current one and leftovers of earlier rotations. */
async function knownKeks(dataDir: string, current: { kekId: string; kek: CryptoKey }): Promise<Map<string, CryptoKey>> {
  const known = new Map<string, CryptoKey>([[current.kekId, current.kek]]);
  for (const file of existsSync(dataDir) ? readdirSync(dataDir) : []) {
    const match = BACKUP_FILE.exec(file);
    if (!match?.[1] || known.has(match[1])) continue;
    const loaded = await loadMasterKek({ dataDir, masterKey: readFileSync(join(dataDir, file), 'utf8').trim() });
    if (loaded.kekId === match[1]) known.set(loaded.kekId, loaded.kek);
  }
  return known;
}

/**
 * A rotation interrupted after its commit leaves the new key in master.key.pending while rows
 * already name it: finish by moving it into place. A pending key no row uses is dropped.
 * Returns what was done, for the CLI to report.
 */
export async function recoverInterruptedRotation(dataDir: string, secrets: OrgSecretsStore): Promise<'none' | 'completed' | 'discarded'> {
  const pendingPath = join(dataDir, PENDING_FILE);
  if (!existsSync(pendingPath)) return 'none';
  const pending = await loadMasterKek({ dataDir, masterKey: readFileSync(pendingPath, 'utf8').trim() });
  const used = secrets.listWrapped().some((row) => row.kekId === pending.kekId);
  if (used) {
    renameSync(pendingPath, join(dataDir, MASTER_KEY_FILE));
    return 'completed';
  }
  rmSync(pendingPath, { force: true });
  return 'discarded';
}

export async function rotateMasterKey(
  deps: { db: Db; secrets: OrgSecretsStore; orgs: OrgAdminStore; audit: AuditService },
  options: RotationOptions,
  actor: AdminActor,
): Promise<RotationResult> {
  const envMode = options.masterKey !== undefined;
  if (!envMode) {
    await recoverInterruptedRotation(options.dataDir, deps.secrets);
    // Loading would generate a fresh master.key: never do that under existing organization keys.
    try {
      refuseNewMasterKeyUnderOrgKeys(options.dataDir, () => deps.secrets.listWrapped().length > 0);
    } catch (error) {
      throw new RotationSetupError(error instanceof Error ? error.message : String(error));
    }
  }
  if (envMode && options.newMasterKey === undefined) {
    throw new RotationSetupError('BYOK_MASTER_KEY is set: put the new key in BYOK_NEW_MASTER_KEY (32 bytes, base64url) and run again.');
  }
  const current = await loadMasterKek({ dataDir: options.dataDir, masterKey: options.masterKey });
  const newText = options.newMasterKey ?? randomBytes(32).toString('base64url');
  let next;
  try {
    next = await loadMasterKek({ dataDir: options.dataDir, masterKey: newText });
  } catch {
    throw new RotationSetupError('BYOK_NEW_MASTER_KEY must be 32 bytes in base64url without padding.');
  }
  if (next.kekId === current.kekId) throw new RotationSetupError('The new master key is the current one.');
  const known = await knownKeks(options.dataDir, current);

  if (envMode) return { mode: 'env', ...(await rewrapOrgKeys(deps, known, next, actor)) };

  const oldText = readFileSync(join(options.dataDir, MASTER_KEY_FILE), 'utf8');
  const backupName = `${MASTER_KEY_FILE}.${current.kekId}`;
  writeFileAtomic(options.dataDir, backupName, oldText);
  writeFileAtomic(options.dataDir, PENDING_FILE, newText);
  // The re-wrap must be on disk before master.key changes: with the default synchronous=NORMAL a
  // power cut could undo the commit after the rename, leaving rows wrapped under the old key.
  deps.db.pragma('synchronous = FULL');
  let result: RewrapResult;
  try {
    result = await rewrapOrgKeys(deps, known, next, actor);
  } catch (error) {
    // Nothing changed in the database: master.key is still the key in force.
    rmSync(join(options.dataDir, PENDING_FILE), { force: true });
    rmSync(join(options.dataDir, backupName), { force: true });
    throw error;
  }
  renameSync(join(options.dataDir, PENDING_FILE), join(options.dataDir, MASTER_KEY_FILE));
  // The old key's copy goes only once the new master.key is durably in place.
  fsyncPath(options.dataDir);
  if (options.keepOld === true) return { mode: 'file', ...result, keptOldKeyFile: backupName };
  rmSync(join(options.dataDir, backupName), { force: true });
  return { mode: 'file', ...result };
}
