// Wire schemas of the audit log (API.md "Audit"): the actions, one event as listed, and the
// listing query. The hash chain fields appear only in admin listings (admin.ts).
import { z } from 'zod';
import { ProviderId } from '../providers/types';
import { IsoDateTime, LimitQuery } from './common';

/** The actions API.md requires, plus the ones the server records besides. */
export const AUDIT_ACTIONS = [
  'account.registered',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.refresh_reused',
  'auth.passphrase_changed',
  'key.stored',
  'key.rotated',
  'key.updated',
  'key.reordered',
  'key.deleted',
  'key.verified',
  'key.verify_failed',
  'key.rejected_by_provider',
  'grant.replayed',
  'policy.updated',
  'member.invited',
  'member.joined',
  'member.role_changed',
  'member.removed',
  'org_key.stored',
  'org_key.rotated',
  'org_key.deleted',
  'org_key.rejected_by_provider',
  'org.plan_changed',
  'master_key.rotated',
  'org.created',
  'grant_keys.rotated',
  'database.restored',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** Events are numbered in append order (the chain order), so ids are positive integers. */
export const AuditEventId = z.int().min(1);

/** An event id given in a query string (`before`). */
export const AuditEventIdQuery = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Free-form, JSON-only detail of an event (it is hashed with JCS, so no undefined or functions). */
export const AuditDetail = z.record(z.string(), z.unknown());
export type AuditDetail = z.infer<typeof AuditDetail>;

/**
 * One event. `actor` is the acting user's id, "cli" for the admin CLI or "system" for the server;
 * `target` is what was acted on (a secret, member or org id). `provider` is null when none
 * applies (and hashed as null). Listings type
 * `action` as a string so that a client keeps working when the server records new actions.
 */
export const AuditEvent = z.object({
  id: AuditEventId,
  at: IsoDateTime,
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  provider: ProviderId.nullable().optional(),
  detail: AuditDetail,
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** `GET /v1/audit?limit&before`: newest first; `before` is an event id (exclusive). */
export const AuditListQuery = z.object({
  limit: LimitQuery.default(100),
  before: AuditEventIdQuery.optional(),
});
export type AuditListQuery = z.infer<typeof AuditListQuery>;

export const AuditListResponse = z.object({ events: z.array(AuditEvent) });
export type AuditListResponse = z.infer<typeof AuditListResponse>;
