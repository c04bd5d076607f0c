// Rows of the personal `secrets` table and the read side of `org_secrets`. The ciphertext columns
// leave this module only through `sealedOf`, which the grants service alone uses.
import type { SealedBlob, KeyHint } from '@byok/shared';
import type { SecretStatus } from '@byok/shared/wire/secrets';
import type { Db } from './db';
import { StatementCache } from './statement-cache';

export interface SecretRecord {
  id: string;
  userId: string;
  provider: string;
  label: string;
  defaultModel: string | null;
  baseUrl: string;
  hint: KeyHint;
  wrappedDek: string;
  status: SecretStatus;
  position: number;
  version: number;
  createdAt: string;
  rotatedAt: string | null;
  lastUsedAt: string | null;
  lastVerifiedAt: string | null;
}

export interface OrgSecretSummaryRecord {
  id: string;
  provider: string;
  label: string;
  hint: KeyHint;
  status: SecretStatus;
}

interface SecretRow {
  id: string;
  user_id: string;
  provider: string;
  label: string;
  default_model: string | null;
  base_url: string;
  hint_prefix: string;
  hint_last4: string;
  wrapped_dek: string;
  status: SecretStatus;
  position: number;
  version: number;
  created_at: string;
  rotated_at: string | null;
  last_used_at: string | null;
  last_verified_at: string | null;
}

// Every column but iv and ct: listings never read the ciphertext.
const PUBLIC_COLUMNS = `id, user_id, provider, label, default_model, base_url, hint_prefix, hint_last4, wrapped_dek,
  status, position, version, created_at, rotated_at, last_used_at, last_verified_at`;

function toRecord(row: SecretRow): SecretRecord {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    label: row.label,
    defaultModel: row.default_model,
    baseUrl: row.base_url,
    hint: { prefix: row.hint_prefix, last4: row.hint_last4 },
    wrappedDek: row.wrapped_dek,
    status: row.status,
    position: row.position,
    version: row.version,
    createdAt: row.created_at,
    rotatedAt: row.rotated_at,
    lastUsedAt: row.last_used_at,
    lastVerifiedAt: row.last_verified_at,
  };
}

export interface NewSecret {
  id: string;
  userId: string;
  provider: string;
  label: string;
  defaultModel: string | null;
  baseUrl: string;
  hint: KeyHint;
  sealed: SealedBlob;
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

  distinctProviders(userId: string): string[] {
    return (this.statements.prepare('SELECT DISTINCT provider FROM secrets WHERE user_id = ?').all(userId) as { provider: string }[]).map(
      (row) => row.provider,
    );
  }

  nextPosition(userId: string): number {
    const row = this.statements.prepare('SELECT MAX(position) AS max FROM secrets WHERE user_id = ?').get(userId) as { max: number | null };
    return row.max === null ? 0 : row.max + 1;
  }

  insert(secret: NewSecret): void {
    this.statements
      .prepare(
        `INSERT INTO secrets (id, user_id, provider, label, default_model, base_url, hint_prefix, hint_last4, iv, ct, wrapped_dek,
           status, position, version, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unverified', ?, 1, ?)`,
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
        secret.sealed.iv,
        secret.sealed.ct,
        secret.sealed.wrappedDek,
        secret.position,
        secret.createdAt,
      );
  }

  /** Replaces the seal and metadata if the row is still at `version`; false when it moved on. */
  rotate(
    userId: string,
    id: string,
    version: number,
    update: { label: string; defaultModel: string | null; baseUrl: string; hint: KeyHint; sealed: SealedBlob; rotatedAt: string },
  ): boolean {
    return (
      this.statements
        .prepare(
          `UPDATE secrets SET label = ?, default_model = ?, base_url = ?, hint_prefix = ?, hint_last4 = ?, iv = ?, ct = ?,
             wrapped_dek = ?, status = 'unverified', last_verified_at = NULL, rotated_at = ?, version = version + 1
           WHERE id = ? AND user_id = ? AND version = ?`,
        )
        .run(
          update.label,
          update.defaultModel,
          update.baseUrl,
          update.hint.prefix,
          update.hint.last4,
          update.sealed.iv,
          update.sealed.ct,
          update.sealed.wrappedDek,
          update.rotatedAt,
          id,
          userId,
          version,
        ).changes === 1
    );
  }

  patch(userId: string, id: string, update: { label: string; defaultModel: string | null }): void {
    this.statements
      .prepare('UPDATE secrets SET label = ?, default_model = ?, version = version + 1 WHERE id = ? AND user_id = ?')
      .run(update.label, update.defaultModel, id, userId);
  }

  delete(userId: string, id: string): boolean {
    return this.statements.prepare('DELETE FROM secrets WHERE id = ? AND user_id = ?').run(id, userId).changes === 1;
  }

  setPosition(userId: string, id: string, position: number): void {
    this.statements.prepare('UPDATE secrets SET position = ? WHERE id = ? AND user_id = ?').run(position, id, userId);
  }

  updateWrappedDek(userId: string, id: string, wrappedDek: string): void {
    this.statements.prepare('UPDATE secrets SET wrapped_dek = ? WHERE id = ? AND user_id = ?').run(wrappedDek, id, userId);
  }

  /** The ciphertext of a live personal key of `userId`, for opening under a grant. */
  sealedOf(userId: string, id: string): { record: SecretRecord; sealed: SealedBlob } | undefined {
    const row = this.statements.prepare(`SELECT ${PUBLIC_COLUMNS}, iv, ct FROM secrets WHERE id = ? AND user_id = ?`).get(id, userId) as
      | (SecretRow & { iv: string; ct: string })
      | undefined;
    if (!row) return undefined;
    return { record: toRecord(row), sealed: { v: 1, iv: row.iv, ct: row.ct, wrappedDek: row.wrapped_dek } };
  }

  markUsed(id: string, at: string): void {
    this.statements.prepare('UPDATE secrets SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  /** Records the outcome of a verification or of a provider refusing the key. */
  setStatus(id: string, status: SecretStatus, verifiedAt: string | null): void {
    if (verifiedAt === null) this.statements.prepare('UPDATE secrets SET status = ? WHERE id = ?').run(status, id);
    else this.statements.prepare('UPDATE secrets SET status = ?, last_verified_at = ? WHERE id = ?').run(status, verifiedAt, id);
  }

  listOrgSummaries(orgId: string): OrgSecretSummaryRecord[] {
    const rows = this.statements
      .prepare('SELECT id, provider, label, hint_prefix, hint_last4, status FROM org_secrets WHERE org_id = ? ORDER BY created_at ASC')
      .all(orgId) as { id: string; provider: string; label: string; hint_prefix: string; hint_last4: string; status: SecretStatus }[];
    return rows.map((row) => ({ id: row.id, provider: row.provider, label: row.label, hint: { prefix: row.hint_prefix, last4: row.hint_last4 }, status: row.status }));
  }
}
