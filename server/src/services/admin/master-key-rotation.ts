// Master-key rotation (CRYPTO.md §4): every organization data key is re-wrapped under the new
// KEK and all rows switch to the new kekId in one transaction, or nothing changes. The data
// keys and ciphertexts stay as they are, so every organization key keeps opening.
import { AppError, rewrapDek } from '@byok/shared';
import type { Db } from '../../store/db';
import type { AuditService } from '../audit';
import { auditActorOf } from './actor';
import type { AdminActor } from './actor';
import type { OrgAdminStore } from './org-admin-store';
import type { OrgSecretsStore } from './org-secrets-store';

export interface KekEntry {
  kekId: string;
  kek: CryptoKey;
}

export interface RewrapResult {
  /** Organization keys re-wrapped. */
  rewrapped: number;
  /** The kekIds they were wrapped with before. */
  from: string[];
  to: string;
}

export class UnknownKekError extends Error {
  constructor(readonly kekId: string) {
    super(`An organization key is wrapped with master key ${kekId}, which is not available.`);
    this.name = 'UnknownKekError';
  }
}

export async function rewrapOrgKeys(
  deps: { db: Db; secrets: OrgSecretsStore; orgs: OrgAdminStore; audit: AuditService },
  known: ReadonlyMap<string, CryptoKey>,
  next: KekEntry,
  actor: AdminActor,
): Promise<RewrapResult> {
  const rows = deps.secrets.listWrapped().filter((row) => row.kekId !== next.kekId);
  const updates: { id: string; orgId: string; kekId: string; expected: string; wrappedDek: string }[] = [];
  for (const row of rows) {
    const old = known.get(row.kekId);
    if (!old) throw new UnknownKekError(row.kekId);
    updates.push({ id: row.id, orgId: row.orgId, kekId: row.kekId, expected: row.wrappedDek, wrappedDek: await rewrapDek(old, next.kek, row.wrappedDek) });
  }
  const from = [...new Set(updates.map((update) => update.kekId))].sort();
  deps.db
    .transaction(() => {
      for (const update of updates) {
        if (!deps.secrets.rewrap(update.id, update.expected, update.wrappedDek, next.kekId)) {
          throw new AppError('conflict', 'An organization key changed during the rotation; nothing was changed, run it again.');
        }
      }
      // A key stored meanwhile under the old KEK would be left behind: all or nothing.
      if (deps.secrets.countNotWrappedBy(next.kekId) > 0) {
        throw new AppError('conflict', 'An organization key was stored during the rotation; nothing was changed, run it again.');
      }
      for (const org of deps.orgs.listOrgs()) {
        const keys = updates.filter((update) => update.orgId === org.id).length;
        deps.audit.append({ orgId: org.id, actor: auditActorOf(actor), action: 'master_key.rotated', target: org.id, detail: { from, to: next.kekId, keys } });
      }
    })
    .immediate();
  return { rewrapped: updates.length, from, to: next.kekId };
}
