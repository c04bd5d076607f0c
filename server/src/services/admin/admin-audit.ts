// The organization's audit log as admins read it: newest first, paged by event id, optionally
// filtered by actor or action, with each event's hash and prevHash so the chain can be checked.
import type { Db } from '../../store/db';
import { listAuditEvents } from '../audit';
import type { AuditEvent } from '../audit';

export interface AdminAuditFilter {
  limit: number;
  before?: number | undefined;
  actor?: string | undefined;
  action?: string | undefined;
}

export class AdminAuditReader {
  constructor(private readonly db: Db) {}

  list(orgId: string, filter: AdminAuditFilter): AuditEvent[] {
    return listAuditEvents(this.db, { ...filter, orgId });
  }
}
