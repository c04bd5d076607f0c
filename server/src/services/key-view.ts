// What personal and organization keys show the same way: the start of their public view (the wire's
// keyViewSchema), the detail their audit events carry (label and hint, never key material), and
// their versions' `If-Match`.
import { AppError } from '@byok/shared';
import type { KeyHint } from '@byok/shared';
import type { ProviderId } from '@byok/shared/providers/types';
import type { OrgSecretView } from '@byok/shared/wire/admin';
import type { KeyRecord } from '../store/key-columns';

/** The fields every full key view starts with; `scope` says whose key it is. */
export type KeyViewBase<Scope extends 'user' | 'org'> = Omit<OrgSecretView, 'scope'> & { scope: Scope };

export function keyViewBase<Scope extends 'user' | 'org'>(record: KeyRecord, scope: Scope): KeyViewBase<Scope> {
  return {
    id: record.id,
    scope,
    provider: record.provider as ProviderId,
    label: record.label,
    hint: { ...record.hint },
    defaultModel: record.defaultModel,
    // '' is stored for "the provider's fixed host"; the wire says null.
    baseUrl: record.baseUrl === '' ? null : record.baseUrl,
    status: record.status,
    createdAt: record.createdAt,
    rotatedAt: record.rotatedAt,
    lastUsedAt: record.lastUsedAt,
    lastVerifiedAt: record.lastVerifiedAt,
  };
}

// A type literal, not an interface: it must fit the audit log's JSON detail type.
export type KeyAuditDetail = {
  label: string;
  hint: { prefix: string; last4: string };
  keyless?: true;
};

/** A key's audit detail: its label and hint (copied, so nothing else on the record leaks in); `keyless` only when it is one. */
export function keyAuditDetail(record: { label: string; hint: KeyHint }, keyless = false): KeyAuditDetail {
  const detail = { label: record.label, hint: { prefix: record.hint.prefix, last4: record.hint.last4 } };
  return keyless ? { ...detail, keyless: true } : detail;
}

/** A provider's refusal of a key: its label, the HTTP status, and `markedInvalid: false` when the key had been replaced meanwhile. */
export function refusalAuditDetail(refusal: { label: string; status: number | undefined }, marked: boolean): { label: string; status?: number; markedInvalid?: false } {
  return { label: refusal.label, ...(refusal.status === undefined ? {} : { status: refusal.status }), ...(marked ? {} : { markedInvalid: false as const }) };
}

/** `"3"`, `W/"3"` or `3` -> 3; anything else is a 400. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  // Up to 16 digits: a restore moves versions to the clock in milliseconds (services/restore.ts).
  const match = /^\s*(?:W\/)?"?(\d{1,16})"?\s*$/.exec(header);
  if (!match?.[1] || !Number.isSafeInteger(Number(match[1]))) throw new AppError('bad_request', 'If-Match must be a version ETag such as "3".');
  return Number(match[1]);
}

export const VERSION_MISMATCH = 'The key changed meanwhile (version mismatch).';

/**
 * A write's `If-Match` version (undefined: none sent) against the key's current version (undefined:
 * no such key): 409 `conflict` unless they agree.
 */
export function checkIfMatch(ifMatch: number | undefined, version: number | undefined): void {
  if (ifMatch === undefined) return;
  if (version === undefined) throw new AppError('conflict', 'The key no longer exists.');
  if (ifMatch !== version) throw new AppError('conflict', VERSION_MISMATCH);
}
