// Rows of `org_secrets` (organization keys). The ciphertext columns leave this module only
// through `sealedOf` (opening a key for one call) and `listWrapped` (master-key rotation).
import type { KeyHint, SealedBlob } from '@byok/shared';
import type { SecretStatus } from '@byok/shared/wire/secrets';
import type { Db } from '../../store/db';
import { StatementCache } from '../../store/statement-cache';
import { KEY_COLUMNS, markUsedSql, nextVersionSql, setStatusParams, setStatusSql, lastUsedParams, toKeyRecord } from '../../store/key-columns';
import type { KeyRecord, KeyRow } from '../../store/key-columns';

export interface OrgSecretRecord extends KeyRecord {
  orgId: string;
  kekId: string;
  /** Drawn from the organization's counter by every creation and rotation (migrations 007, 008, 011): never given twice in it. */
  version: number;
}

interface OrgSecretRow extends KeyRow {
  org_id: string;
  kek_id: string;
  version: number;
}

const PUBLIC_COLUMNS = `${KEY_COLUMNS}, org_id, kek_id, version`;

function toRecord(row: OrgSecretRow): OrgSecretRecord {
  return { ...toKeyRecord(row), orgId: row.org_id, kekId: row.kek_id, version: row.version };
}

export interface OrgSecretWrite {
  provider: string;
  label: string;
  defaultModel: string | null;
  baseUrl: string;
  hint: KeyHint;
  sealed: SealedBlob;
  kekId: string;
}

export class OrgSecretsStore {
  // Every query here runs through one cache: listForOrg is on every enrichment's route.
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  /** Any organization key with this id, whichever organization holds it. */
  get(id: string): OrgSecretRecord | undefined {
    const row = this.statements.prepare(`SELECT ${PUBLIC_COLUMNS} FROM org_secrets WHERE id = ?`).get(id) as OrgSecretRow | undefined;
    return row && toRecord(row);
  }

  getInOrg(orgId: string, id: string): OrgSecretRecord | undefined {
    const record = this.get(id);
    return record && record.orgId === orgId ? record : undefined;
  }

  listForOrg(orgId: string): OrgSecretRecord[] {
    const rows = this.statements
      .prepare(`SELECT ${PUBLIC_COLUMNS} FROM org_secrets WHERE org_id = ? ORDER BY created_at ASC, id ASC`)
      .all(orgId) as OrgSecretRow[];
    return rows.map(toRecord);
  }

  /** Whether a personal key already uses this id (ids are unique across both kinds of key). */
  personalIdExists(id: string): boolean {
    return this.statements.prepare('SELECT 1 FROM secrets WHERE id = ?').get(id) !== undefined;
  }

  /** The next version of a key of `orgId`: see nextVersionSql. */
  private nextVersion(orgId: string): number {
    return (this.statements.prepare(nextVersionSql('org_id')).get(orgId) as { last: number }).last;
  }

  insert(orgId: string, id: string, write: OrgSecretWrite, createdAt: string): void {
    const version = this.nextVersion(orgId);
    this.statements
      .prepare(
        `INSERT INTO org_secrets (id, org_id, provider, label, default_model, base_url, hint_prefix, hint_last4, iv, ct,
           wrapped_dek, kek_id, status, created_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unverified', ?, ?)`,
      )
      .run(
        id,
        orgId,
        write.provider,
        write.label,
        write.defaultModel,
        write.baseUrl,
        write.hint.prefix,
        write.hint.last4,
        write.sealed.iv,
        write.sealed.ct,
        write.sealed.wrappedDek,
        write.kekId,
        createdAt,
        version,
      );
  }

  replace(orgId: string, id: string, write: OrgSecretWrite, rotatedAt: string): void {
    const version = this.nextVersion(orgId);
    this.statements
      .prepare(
        `UPDATE org_secrets SET label = ?, default_model = ?, base_url = ?, hint_prefix = ?, hint_last4 = ?, iv = ?, ct = ?,
           wrapped_dek = ?, kek_id = ?, status = 'unverified', last_verified_at = NULL, rotated_at = ?, version = ?
         WHERE id = ? AND org_id = ?`,
      )
      .run(
        write.label,
        write.defaultModel,
        write.baseUrl,
        write.hint.prefix,
        write.hint.last4,
        write.sealed.iv,
        write.sealed.ct,
        write.sealed.wrappedDek,
        write.kekId,
        rotatedAt,
        version,
        id,
        orgId,
      );
  }

  delete(orgId: string, id: string): boolean {
    return this.statements.prepare('DELETE FROM org_secrets WHERE id = ? AND org_id = ?').run(id, orgId).changes === 1;
  }

  sealedOf(orgId: string, id: string): { record: OrgSecretRecord; sealed: SealedBlob } | undefined {
    const row = this.statements.prepare(`SELECT ${PUBLIC_COLUMNS}, iv, ct, wrapped_dek FROM org_secrets WHERE id = ? AND org_id = ?`).get(id, orgId) as
      | (OrgSecretRow & { iv: string; ct: string; wrapped_dek: string })
      | undefined;
    if (!row) return undefined;
    return { record: toRecord(row), sealed: { v: 1, iv: row.iv, ct: row.ct, wrappedDek: row.wrapped_dek } };
  }

  markUsed(orgId: string, id: string, at: string): void {
    this.statements.prepare(`UPDATE org_secrets ${markUsedSql('org_id')}`).run(...lastUsedParams(at, id, orgId));
  }

  /**
   * Sets what a provider said about the key at `version`; false when it has been rotated (or
   * deleted) since, so a verdict about the key it replaced changes nothing.
   */
  setStatus(orgId: string, id: string, status: SecretStatus, verifiedAt: string | null, version: number): boolean {
    const sql = `UPDATE org_secrets ${setStatusSql('org_id', verifiedAt !== null)}`;
    return this.statements.prepare(sql).run(...setStatusParams(status, verifiedAt, id, orgId, version)).changes === 1;
  }

  /** Every wrapped data key, for re-wrapping under a new master KEK. */
  listWrapped(): { id: string; orgId: string; kekId: string; wrappedDek: string }[] {
    return this.statements.prepare('SELECT id, org_id AS orgId, kek_id AS kekId, wrapped_dek AS wrappedDek FROM org_secrets ORDER BY id').all() as {
      id: string;
      orgId: string;
      kekId: string;
      wrappedDek: string;
    }[];
  }

  /** Swaps one wrapped data key if it is still the one that was read; false when it changed. */
  rewrap(id: string, expected: string, wrappedDek: string, kekId: string): boolean {
    return (
      this.statements.prepare('UPDATE org_secrets SET wrapped_dek = ?, kek_id = ? WHERE id = ? AND wrapped_dek = ?').run(wrappedDek, kekId, id, expected)
        .changes === 1
    );
  }

  countNotWrappedBy(kekId: string): number {
    return (this.statements.prepare('SELECT COUNT(*) AS n FROM org_secrets WHERE kek_id <> ?').get(kekId) as { n: number }).n;
  }
}
