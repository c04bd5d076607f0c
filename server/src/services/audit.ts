// The audit log: append-only events, hash-chained per organization (API.md "Audit chain"):
// hash = SHA-256(prevHash || JCS({ id, at, actor, action, target, provider, detail })), the first
// prevHash being 32 zero bytes. Appends run inside the caller's transaction so an event exists
// exactly when the change it records does. Details hold labels, providers, hints and ids only.
import { createHash } from 'node:crypto';
import type { Db } from '../store/db';
import { canonicalize } from './jcs';
import type { JsonValue } from './jcs';

export const ZERO_HASH = '00'.repeat(32);

export type AuditDetail = { [key: string]: JsonValue };

export interface AuditInput {
  orgId: string;
  /** The acting user's id, or 'system'. */
  actor: string;
  action: string;
  /** What was acted on: a secret, user or org id. */
  target: string;
  provider?: string | null;
  detail?: AuditDetail;
  at?: Date;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  provider: string | null;
  detail: AuditDetail;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  id: number;
  org_id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  provider: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  firstBrokenId?: number;
}

export function eventHash(prevHash: string, event: Omit<AuditEvent, 'prevHash' | 'hash'>): string {
  const content = canonicalize({
    id: event.id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    target: event.target,
    provider: event.provider,
    detail: event.detail,
  });
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(content, 'utf8').digest('hex');
}

function toEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    provider: row.provider,
    detail: JSON.parse(row.detail) as AuditDetail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Which events to list; callers always scope by organization, actor or both. */
export interface AuditListFilter {
  orgId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  limit: number;
  /** An event id, exclusive. */
  before?: number | undefined;
}

/** The events matching every given filter, newest first: the one paging query behind every audit list. */
export function listAuditEvents(db: Db, filter: AuditListFilter): AuditEvent[] {
  const clauses = ['id < ?'];
  const params: (string | number)[] = [filter.before ?? Number.MAX_SAFE_INTEGER];
  const equalities: [column: string, value: string | undefined][] = [
    ['org_id', filter.orgId],
    ['actor', filter.actor],
    ['action', filter.action],
  ];
  for (const [column, value] of equalities) {
    if (value !== undefined) {
      clauses.push(`${column} = ?`);
      params.push(value);
    }
  }
  const rows = db
    .prepare(`SELECT * FROM audit_events WHERE ${clauses.join(' AND ')} ORDER BY id DESC LIMIT ?`)
    .all(...params, filter.limit) as AuditRow[];
  return rows.map(toEvent);
}

export class AuditService {
  constructor(private readonly db: Db) {}

  /** Appends one event; call it inside the transaction of the change it records. */
  append(input: AuditInput): AuditEvent {
    return this.db.transaction(() => {
      const last = this.db
        .prepare('SELECT hash FROM audit_events WHERE org_id = ? ORDER BY id DESC LIMIT 1')
        .get(input.orgId) as { hash: string } | undefined;
      const prevHash = last?.hash ?? ZERO_HASH;
      const next = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'").get() as
        | { seq: number }
        | undefined;
      const id = (next?.seq ?? 0) + 1;
      const event = {
        id,
        at: (input.at ?? new Date()).toISOString(),
        actor: input.actor,
        action: input.action,
        target: input.target,
        provider: input.provider ?? null,
        detail: input.detail ?? {},
      };
      const hash = eventHash(prevHash, event);
      this.db
        .prepare(
          `INSERT INTO audit_events (id, org_id, at, actor, action, target, provider, detail, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, input.orgId, event.at, event.actor, event.action, event.target, event.provider, canonicalize(event.detail), prevHash, hash);
      return { ...event, prevHash, hash };
    }).immediate();
  }

  /** The events a user caused, newest first. */
  listForActor(userId: string, options: { limit: number; before?: number }): AuditEvent[] {
    return listAuditEvents(this.db, { ...options, actor: userId });
  }

  /** An organization's events, newest first, optionally of one actor or action (the admin audit view). */
  listForOrg(orgId: string, options: Omit<AuditListFilter, 'orgId'>): AuditEvent[] {
    return listAuditEvents(this.db, { ...options, orgId });
  }

  /** Recomputes the organization's chain from the first event. */
  verifyChain(orgId: string): ChainVerification {
    let prevHash = ZERO_HASH;
    let events = 0;
    const rows = this.db.prepare('SELECT * FROM audit_events WHERE org_id = ? ORDER BY id ASC').iterate(orgId) as IterableIterator<AuditRow>;
    for (const row of rows) {
      events++;
      let expected: string;
      try {
        expected = eventHash(prevHash, toEvent(row));
      } catch {
        return { ok: false, events, firstBrokenId: row.id };
      }
      if (row.prev_hash !== prevHash || row.hash !== expected) {
        return { ok: false, events, firstBrokenId: row.id };
      }
      prevHash = row.hash;
    }
    return { ok: true, events };
  }
}
