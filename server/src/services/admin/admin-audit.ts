// The organization's audit log as admins read it: newest first, paged by event id, optionally
// filtered by actor or action, with each event's hash and prevHash so the chain can be checked.
import type { Db } from '../../store/db';
import type { AuditDetail } from '../audit';

export interface AdminAuditEventRecord {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  provider: string | null;
  detail: AuditDetail;
  hash: string;
  prevHash: string;
}

interface Row {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  provider: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface AdminAuditFilter {
  limit: number;
  before?: number | undefined;
  actor?: string | undefined;
  action?: string | undefined;
}

export class AdminAuditReader {
  constructor(private readonly db: Db) {}

  list(orgId: string, filter: AdminAuditFilter): AdminAuditEventRecord[] {
    const clauses = ['org_id = ?', 'id < ?'];
    const params: (string | number)[] = [orgId, filter.before ?? Number.MAX_SAFE_INTEGER];
    if (filter.actor !== undefined) {
      clauses.push('actor = ?');
      params.push(filter.actor);
    }
    if (filter.action !== undefined) {
      clauses.push('action = ?');
      params.push(filter.action);
    }
    const rows = this.db
      .prepare(`SELECT id, at, actor, action, target, provider, detail, prev_hash, hash FROM audit_events WHERE ${clauses.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...params, filter.limit) as Row[];
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actor: row.actor,
      action: row.action,
      target: row.target,
      provider: row.provider,
      detail: JSON.parse(row.detail) as AuditDetail,
      hash: row.hash,
      prevHash: row.prev_hash,
    }));
  }
}
