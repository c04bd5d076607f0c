// The columns personal keys (`secrets`) and organization keys (`org_secrets`) share, and their
// mapping to a record. Each table adds its own: the owner and the custody of the data key differ
// (a user's KEK for personal keys, the master KEK for organization keys), so the tables stay apart.
import type { KeyHint } from '@byok/shared';
import type { SecretStatus } from '@byok/shared/wire/secrets';

/**
 * `lastUsedAt` moves at most once a minute: writing it on every call would put the key's page into
 * the WAL with every request (one page of the dozen a request writes), for a time nobody reads
 * more precisely than that.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The SET and WHERE of a "mark used" UPDATE of one owner's key; its parameters are
 * lastUsedParams(at, id, ownerId). The owner too, since a call still running on a deleted key must
 * not mark another owner's key created under its id since.
 */
export function markUsedSql(owner: 'user_id' | 'org_id'): string {
  return `SET last_used_at = ? WHERE id = ? AND ${owner} = ? AND (last_used_at IS NULL OR last_used_at <= ?)`;
}

export function lastUsedParams(at: string, id: string, ownerId: string): [string, string, string, string] {
  return [at, id, ownerId, new Date(Date.parse(at) - LAST_USED_RESOLUTION_MS).toISOString()];
}

/**
 * The SET and WHERE of a "set status" UPDATE of one owner's key at one version, with or without the
 * time of a verification; its parameters are setStatusParams(...). Both kinds of key take a verdict
 * only at the version it was about, and only for the owner whose call it was: versions are counted
 * per owner (migration 011), so another owner's key created under a deleted key's id may have it.
 */
export function setStatusSql(owner: 'user_id' | 'org_id', withVerifiedAt: boolean): string {
  return `SET status = ?${withVerifiedAt ? ', last_verified_at = ?' : ''} WHERE id = ? AND ${owner} = ? AND version = ?`;
}

export function setStatusParams(status: string, verifiedAt: string | null, id: string, ownerId: string, version: number): Array<string | number> {
  return verifiedAt === null ? [status, id, ownerId, version] : [status, verifiedAt, id, ownerId, version];
}

/**
 * The UPSERT that takes the next version of a key of one owner (migration 011), with the owner's id
 * as its one parameter, answering `{ last }`: each user's personal keys, and each organization's
 * keys, count on a counter of their own, started past the old companion-wide counter (kept as the
 * floor). So a version is never given twice to one owner's keys, not even to a key created again
 * under a deleted key's id, and the gap between two versions says nothing about other owners'
 * writes. Run it inside the write's transaction.
 */
export function nextVersionSql(owner: 'user_id' | 'org_id'): string {
  const [counters, floor] = owner === 'user_id' ? ['secret_version_counters', 'secret_versions'] : ['org_secret_version_counters', 'org_secret_versions'];
  return `INSERT INTO ${counters} (${owner}, last) SELECT ?, last + 1 FROM ${floor} WHERE id = 1
    ON CONFLICT (${owner}) DO UPDATE SET last = last + 1 RETURNING last`;
}

/** The public columns both tables have (never iv, ct or wrapped_dek). */
export const KEY_COLUMNS = `id, provider, label, default_model, base_url, hint_prefix, hint_last4, status,
  created_at, rotated_at, last_used_at, last_verified_at`;

export interface KeyRow {
  id: string;
  provider: string;
  label: string;
  default_model: string | null;
  base_url: string;
  hint_prefix: string;
  hint_last4: string;
  status: SecretStatus;
  created_at: string;
  rotated_at: string | null;
  last_used_at: string | null;
  last_verified_at: string | null;
}

export interface KeyRecord {
  id: string;
  provider: string;
  label: string;
  defaultModel: string | null;
  /** '' when the provider's fixed host is used. */
  baseUrl: string;
  hint: KeyHint;
  status: SecretStatus;
  createdAt: string;
  rotatedAt: string | null;
  lastUsedAt: string | null;
  lastVerifiedAt: string | null;
}

export function hintOf(row: Pick<KeyRow, 'hint_prefix' | 'hint_last4'>): KeyHint {
  return { prefix: row.hint_prefix, last4: row.hint_last4 };
}

export function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    provider: row.provider,
    label: row.label,
    defaultModel: row.default_model,
    baseUrl: row.base_url,
    hint: hintOf(row),
    status: row.status,
    createdAt: row.created_at,
    rotatedAt: row.rotated_at,
    lastUsedAt: row.last_used_at,
    lastVerifiedAt: row.last_verified_at,
  };
}
