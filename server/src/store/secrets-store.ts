// Rows of the personal `secrets` table and the read side of `org_secrets`. The ciphertext columns
// leave this module only through `sealedOf`, which the grants service alone uses. A keyless entry
// (a provider that needs no key) has no ciphertext at all: iv, ct and wrapped_dek are NULL.
import type { SealedBlob, KeyHint } from '@byok/shared';
import type { SecretStatus } from '@byok/shared/wire/secrets';
import type { Db } from './db';
import { KEY_COLUMNS, markUsedSql, nextVersionSql, setStatusParams, setStatusSql, hintOf, lastUsedParams, toKeyRecord } from './key-columns';
import type { KeyRecord, KeyRow } from './key-columns';
import { StatementCache } from './statement-cache';

export interface SecretRecord extends KeyRecord {
  userId: string;
  /** Null for a keyless entry. */
  wrappedDek: string | null;
  position: number;
  version: number;
}

export interface OrgSecretSummaryRecord {
  id: string;
  provider: string;
  label: string;
  hint: KeyHint;
  status: SecretStatus;
}

interface SecretRow extends KeyRow {
  user_id: string;
  wrapped_dek: string | null;
  position: number;
  version: number;
}

// Every column but iv and ct: listings never read the ciphertext.
const PUBLIC_COLUMNS = `${KEY_COLUMNS}, user_id, wrapped_dek, position, version`;

function toRecord(row: SecretRow): SecretRecord {
  return { ...toKeyRecord(row), userId: row.user_id, wrappedDek: row.wrapped_dek, position: row.position, version: row.version };
}

export interface NewSecret {
  id: string;
  userId: string;
  provider: string;
  label: string;
  defaultModel: string | null;
  baseUrl: string;
  hint: KeyHint;
  /** Null for a keyless entry. */
  sealed: SealedBlob | null;
  position: number;
  createdAt: string;
}

export class SecretsStore {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  /** Any secret with this id, whoever owns it (to tell "yours" from "someone else's"). */
  get(id: string): SecretRecord | undefined {
    const row = this.statements.prepare(`SELECT ${PUBLIC_COLUMNS} FROM secrets WHERE id = ?`).get(id) as SecretRow | undefined;
    return row && toRecord(row);
  }

  getOwned(userId: string, id: string): SecretRecord | undefined {
    const record = this.get(id);
    return record && record.userId === userId ? record : undefined;
  }

  listForUser(userId: string): SecretRecord[] {
    const rows = this.statements
      .prepare(`SELECT ${PUBLIC_COLUMNS} FROM secrets WHERE user_id = ? ORDER BY position ASC, created_at ASC`)
      .all(userId) as SecretRow[];
    return rows.map(toRecord);
  }

  listIdsForUser(userId: string): string[] {
    return (this.statements.prepare('SELECT id FROM secrets WHERE user_id = ?').all(userId) as { id: string }[]).map((row) => row.id);
  }

  /** The user's entries that hold a wrapped data key (every one but keyless entries): id to version. */
  wrappedVersionsForUser(userId: string): Map<string, number> {
    const rows = this.statements.prepare('SELECT id, version FROM secrets WHERE user_id = ? AND wrapped_dek IS NOT NULL').all(userId) as { id: string; version: number }[];
    return new Map(rows.map((row) => [row.id, row.version]));
  }

  distinctProviders(userId: string): string[] {
    return (this.statements.prepare('SELECT DISTINCT provider FROM secrets WHERE user_id = ?').all(userId) as { provider: string }[]).map(
      (row) => row.provider,
    );
  }

  nextPosition(userId: string): number {
    const row = this.statements.prepare('SELECT MAX(position) AS max FROM secrets WHERE user_id = ?').get(userId) as { max: number | null };
    return row.max === null ? 0 : row.max + 1;
  }

  /** The next version of a personal key of `userId`: see nextVersionSql. */
  private nextVersion(userId: string): number {
    return (this.statements.prepare(nextVersionSql('user_id')).get(userId) as { last: number }).last;
  }

  insert(secret: NewSecret): void {
    const version = this.nextVersion(secret.userId);
    this.statements
      .prepare(
        `INSERT INTO secrets (id, user_id, provider, label, default_model, base_url, hint_prefix, hint_last4, iv, ct, wrapped_dek,
           status, position, version, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unverified', ?, ?, ?)`,
      )
      .run(
        secret.id,
        secret.userId,
        secret.provider,
        secret.label,
        secret.defaultModel,
        secret.baseUrl,
        secret.hint.prefix,
        secret.hint.last4,
        secret.sealed?.iv ?? null,
        secret.sealed?.ct ?? null,
        secret.sealed?.wrappedDek ?? null,
        secret.position,
        version,
        secret.createdAt,
      );
  }

  /**
   * Replaces the seal (null: none, a keyless entry) and metadata if the row is still at `version`;
   * false when it moved on.
   */
  rotate(
    userId: string,
    id: string,
    version: number,
    update: { label: string; defaultModel: string | null; baseUrl: string; hint: KeyHint; sealed: SealedBlob | null; rotatedAt: string },
  ): boolean {
    return (
      this.statements
        .prepare(
          `UPDATE secrets SET label = ?, default_model = ?, base_url = ?, hint_prefix = ?, hint_last4 = ?, iv = ?, ct = ?,
             wrapped_dek = ?, status = 'unverified', last_verified_at = NULL, rotated_at = ?, version = ?
           WHERE id = ? AND user_id = ? AND version = ?`,
        )
        .run(
          update.label,
          update.defaultModel,
          update.baseUrl,
          update.hint.prefix,
          update.hint.last4,
          update.sealed?.iv ?? null,
          update.sealed?.ct ?? null,
          update.sealed?.wrappedDek ?? null,
          update.rotatedAt,
          this.nextVersion(userId),
          id,
          userId,
          version,
        ).changes === 1
    );
  }

  patch(userId: string, id: string, update: { label: string; defaultModel: string | null }): void {
    this.statements
      .prepare('UPDATE secrets SET label = ?, default_model = ?, version = ? WHERE id = ? AND user_id = ?')
      .run(update.label, update.defaultModel, this.nextVersion(userId), id, userId);
  }

  delete(userId: string, id: string): boolean {
    return this.statements.prepare('DELETE FROM secrets WHERE id = ? AND user_id = ?').run(id, userId).changes === 1;
  }

  setPosition(userId: string, id: string, position: number): void {
    this.statements.prepare('UPDATE secrets SET position = ? WHERE id = ? AND user_id = ?').run(position, id, userId);
  }

  /** A keyless entry has no data key to re-wrap: it is left alone. */
  updateWrappedDek(userId: string, id: string, wrappedDek: string): void {
    this.statements.prepare('UPDATE secrets SET wrapped_dek = ? WHERE id = ? AND user_id = ? AND wrapped_dek IS NOT NULL').run(wrappedDek, id, userId);
  }

  /** The ciphertext of a live personal key of `userId`, for opening under a grant; `sealed` is null for a keyless entry. */
  sealedOf(userId: string, id: string): { record: SecretRecord; sealed: SealedBlob | null } | undefined {
    const row = this.statements.prepare(`SELECT ${PUBLIC_COLUMNS}, iv, ct FROM secrets WHERE id = ? AND user_id = ?`).get(id, userId) as
      | (SecretRow & { iv: string | null; ct: string | null })
      | undefined;
    if (!row) return undefined;
    const sealed = row.iv === null || row.ct === null || row.wrapped_dek === null ? null : { v: 1 as const, iv: row.iv, ct: row.ct, wrappedDek: row.wrapped_dek };
    return { record: toRecord(row), sealed };
  }

  markUsed(userId: string, id: string, at: string): void {
    this.statements.prepare(`UPDATE secrets ${markUsedSql('user_id')}`).run(...lastUsedParams(at, id, userId));
  }

  /**
   * Records the outcome of a verification or of a provider refusing the key, at `version`; false
   * when it has been rotated or edited since (a verdict on the old key must not land on the new
   * one, which starts `unverified`).
   */
  setStatus(userId: string, id: string, status: SecretStatus, verifiedAt: string | null, version: number): boolean {
    const sql = `UPDATE secrets ${setStatusSql('user_id', verifiedAt !== null)}`;
    return this.statements.prepare(sql).run(...setStatusParams(status, verifiedAt, id, userId, version)).changes === 1;
  }

  listOrgSummaries(orgId: string): OrgSecretSummaryRecord[] {
    const rows = this.statements
      .prepare('SELECT id, provider, label, hint_prefix, hint_last4, status FROM org_secrets WHERE org_id = ? ORDER BY created_at ASC')
      .all(orgId) as Pick<KeyRow, 'id' | 'provider' | 'label' | 'hint_prefix' | 'hint_last4' | 'status'>[];
    return rows.map((row) => ({ id: row.id, provider: row.provider, label: row.label, hint: hintOf(row), status: row.status }));
  }
}
