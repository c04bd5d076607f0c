// Wire schemas of the administration endpoints (owner and admin): policy, members, invites,
// organization keys, organization-wide usage and the hash-chained audit log.
import { z } from 'zod';
import { Policy } from '../plans/policy';
import { ProviderId } from '../providers/types';
import { Role } from './accounts';
import { AuditEvent, AuditEventId, AuditEventIdQuery } from './audit';
import { IsoDateTime, Label, LimitQuery, ModelId, NormalizedBaseUrl, Uuid } from './common';
import { checkKeyTarget, keyViewSchema } from './secrets';
import { USAGE_RANGE_MESSAGE, UsageGroupBy, UsageInstant, fromNotAfterTo } from './usage';

export const PolicyResponse = z.object({ policy: Policy });
export type PolicyResponse = z.infer<typeof PolicyResponse>;

/** `PUT /v1/admin/policy` replaces the whole policy. */
export const PutPolicyRequest = z.strictObject({ policy: Policy });
export type PutPolicyRequest = z.infer<typeof PutPolicyRequest>;

export const MemberView = z.object({
  id: Uuid,
  email: z.string(),
  role: Role,
  createdAt: IsoDateTime,
  lastSeenAt: IsoDateTime.nullable(),
});
export type MemberView = z.infer<typeof MemberView>;

export const ListMembersResponse = z.object({ members: z.array(MemberView) });
export type ListMembersResponse = z.infer<typeof ListMembersResponse>;

export const PatchMemberRequest = z.strictObject({ role: Role });
export type PatchMemberRequest = z.infer<typeof PatchMemberRequest>;

export const PatchMemberResponse = z.object({ member: MemberView });
export type PatchMemberResponse = z.infer<typeof PatchMemberResponse>;

/** Invites make admins or members; ownership is not handed out by invite code. */
export const CreateInviteRequest = z.strictObject({
  role: z.enum(['admin', 'member']),
  expiresInHours: z.int().min(1).max(24 * 30).default(72),
});
export type CreateInviteRequest = z.infer<typeof CreateInviteRequest>;

export const CreateInviteResponse = z.object({ code: z.string(), expiresAt: IsoDateTime });
export type CreateInviteResponse = z.infer<typeof CreateInviteResponse>;

/**
 * `PUT /v1/admin/org-secrets/:id`: `upload` is a grant-style JWE (`pur` org-secret-upload)
 * holding the plaintext key; the server derives the hint itself.
 */
export const PutOrgSecretRequest = z
  .strictObject({
    provider: ProviderId,
    label: Label,
    defaultModel: ModelId.optional(),
    baseUrl: z.union([z.literal(''), NormalizedBaseUrl]).optional(),
    upload: z.string().min(1).max(16_384),
  })
  .superRefine(checkKeyTarget);
export type PutOrgSecretRequest = z.infer<typeof PutOrgSecretRequest>;

/** An organization key as admins see it (no ciphertext, no wrapped key). */
export const OrgSecretView = keyViewSchema('org');
export type OrgSecretView = z.infer<typeof OrgSecretView>;

export const PutOrgSecretResponse = z.object({ secret: OrgSecretView });
/** `GET /v1/admin/org-secrets`: every organization key, whatever the plan and policy allow to use. */
export const ListOrgSecretsResponse = z.object({ secrets: z.array(OrgSecretView) });
export type ListOrgSecretsResponse = z.infer<typeof ListOrgSecretsResponse>;
export type PutOrgSecretResponse = z.infer<typeof PutOrgSecretResponse>;

export const AdminUsageGroupBy = z.enum([...UsageGroupBy.options, 'member']);
export type AdminUsageGroupBy = z.infer<typeof AdminUsageGroupBy>;

/** `GET /v1/admin/usage`: as `/v1/usage` for the whole organization, optionally one member. */
export const AdminUsageQuery = z
  .object({
    from: UsageInstant.optional(),
    to: UsageInstant.optional(),
    groupBy: AdminUsageGroupBy.default('day'),
    userId: Uuid.optional(),
  })
  .refine(fromNotAfterTo, USAGE_RANGE_MESSAGE);
export type AdminUsageQuery = z.infer<typeof AdminUsageQuery>;

/** SHA-256 as 64 lowercase hex characters; the first event's prevHash is 64 zeros. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
export const GENESIS_PREV_HASH = '0'.repeat(64);

export const AdminAuditEvent = AuditEvent.extend({ hash: Sha256Hex, prevHash: Sha256Hex });
export type AdminAuditEvent = z.infer<typeof AdminAuditEvent>;

export const AdminAuditQuery = z.object({
  limit: LimitQuery.default(100),
  before: AuditEventIdQuery.optional(),
  // An empty filter is a client's mistake, not "match nothing".
  actor: z.string().min(1).max(64).optional(),
  action: z.string().min(1).max(64).optional(),
});
export type AdminAuditQuery = z.infer<typeof AdminAuditQuery>;

export const AdminAuditListResponse = z.object({ events: z.array(AdminAuditEvent) });
export type AdminAuditListResponse = z.infer<typeof AdminAuditListResponse>;

/** `GET /v1/admin/audit/verify`: `events` is how many were checked. */
export const AuditVerifyResponse = z.object({
  ok: z.boolean(),
  events: z.int().min(0),
  firstBrokenId: AuditEventId.optional(),
});
export type AuditVerifyResponse = z.infer<typeof AuditVerifyResponse>;
