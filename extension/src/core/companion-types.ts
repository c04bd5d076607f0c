// Types of the companion's answers as the extension uses them: the shared wire schemas' types
// (API.md), plus the one local shape the key cache keeps for both personal and org keys.
import type { KeyHint } from '@byok/shared/crypto/hint';
import type { LoginResponse, MeResponse, OrgView, UserView } from '@byok/shared/wire/accounts';
import type { EnrichResponse, Entity, EntityType, ProgressEvent, RouteAttempt } from '@byok/shared/wire/enrich';
import type { SecretStatus, VerifySecretResponse } from '@byok/shared/wire/secrets';
import type { UsageGroup, UsageResponse, UsageRow, UsageTotals } from '@byok/shared/wire/usage';
import type { AdminAuditEvent, AuditVerifyResponse, MemberView } from '@byok/shared/wire/admin';
import type { Policy } from '@byok/shared/plans/policy';

export type { LoginResponse, MeResponse, OrgView, UserView, Policy, Entity, EntityType, RouteAttempt, SecretStatus };
export type { UsageGroup, UsageRow, UsageTotals, MemberView, AdminAuditEvent, AuditVerifyResponse };
export type EnrichResult = EnrichResponse;
export type EnrichProgress = ProgressEvent;
export type UsageReport = UsageResponse;
export type VerifyResult = VerifySecretResponse;

/**
 * A key in the cache: a personal key's full public view, or an organization key's summary
 * (label, provider, hint) with the other fields empty.
 */
export interface SecretView {
  id: string;
  scope: 'user' | 'org';
  provider: string;
  label: string;
  hint: KeyHint;
  defaultModel: string | null;
  baseUrl: string | null;
  status: SecretStatus;
  createdAt: string | null;
  rotatedAt: string | null;
  lastUsedAt: string | null;
  lastVerifiedAt: string | null;
  position: number;
  /** null for a keyless entry (the server sends null), absent for organization keys. */
  wrappedDek?: string | null | undefined;
  /** A provider that runs without a key (a local Ollama): no seal, no grant, nothing to unwrap. */
  keyless?: boolean | undefined;
  /** A personal key's version (its ETag), as the companion sent it. */
  version?: number | undefined;
}
