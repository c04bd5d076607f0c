// Wire schemas of personal keys (API.md "Keys (secrets)"): the public views, store/rotate,
// patch, order and verify. Keys themselves never appear here, only sealed blobs and hints.
import { z } from 'zod';
import { getProvider } from '../providers/catalog';
import { ProviderId } from '../providers/types';
import {
  GrantToken,
  IsoDateTime,
  KeyHintSchema,
  Label,
  ModelId,
  NormalizedBaseUrl,
  SealedBlobSchema,
  Uuid,
  WrappedDek,
} from './common';

export const SecretStatus = z.enum(['unverified', 'valid', 'invalid']);
export type SecretStatus = z.infer<typeof SecretStatus>;

/**
 * The fields every full key view starts with, personal (`user`) or organization (`org`): no
 * ciphertext. `baseUrl` null means the provider's fixed host.
 */
export function keyViewSchema<Scope extends 'user' | 'org'>(scope: Scope) {
  return z.object({
    id: Uuid,
    scope: z.literal(scope),
    provider: ProviderId,
    label: z.string(),
    hint: KeyHintSchema,
    defaultModel: z.string().nullable(),
    baseUrl: z.string().nullable(),
    status: SecretStatus,
    createdAt: IsoDateTime,
    rotatedAt: IsoDateTime.nullable(),
    lastUsedAt: IsoDateTime.nullable(),
    lastVerifiedAt: IsoDateTime.nullable(),
    /**
     * The key's version, also its `ETag`: every write takes a new, higher one, never given twice
     * to keys of the same owner, not even to one created again under this id. Send it back in
     * `If-Match` to rotate only the key you saw. Optional on the wire (API.md does not name it); the server always sends it.
     */
    version: z.int().min(1).optional(),
  });
}

/** A personal key as its owner sees it. */
export const UserSecretView = keyViewSchema('user').extend({
  /** 0-based place in the owner's routing order. */
  position: z.int().min(0),
  /** Useless without the owner's KEK; needed for a passphrase change. Null for a keyless entry. */
  wrappedDek: WrappedDek.nullable(),
  /**
   * A keyless entry (a provider whose catalog says `keyRequired: false`, stored without a key):
   * no seal, no grant; routing uses it as it is. Optional on the wire; the server always sends it.
   */
  keyless: z.boolean().optional(),
});
export type UserSecretView = z.infer<typeof UserSecretView>;

/** An organization key as a member sees it in `GET /v1/secrets`: label, provider and hint only. */
export const OrgSecretSummary = z.object({
  id: Uuid,
  scope: z.literal('org'),
  provider: ProviderId,
  label: z.string(),
  hint: KeyHintSchema,
});
export type OrgSecretSummary = z.infer<typeof OrgSecretSummary>;

export const SecretView = z.discriminatedUnion('scope', [UserSecretView, OrgSecretSummary]);
export type SecretView = z.infer<typeof SecretView>;

export const ListSecretsResponse = z.object({ secrets: z.array(SecretView) });
export type ListSecretsResponse = z.infer<typeof ListSecretsResponse>;

/** The fields a key's target shares between personal and organization keys. */
export interface KeyTarget {
  provider: ProviderId;
  baseUrl?: string | undefined;
}

/**
 * Base URL rules by catalog entry: `fixed` providers take none ("" is accepted as "none"),
 * `required` ones need a normalized URL (Azure's on *.openai.azure.com), builtin stores no key.
 * Reported on `baseUrl`/`provider` so the 400 names the field.
 */
export function checkKeyTarget(value: KeyTarget, ctx: z.RefinementCtx): void {
  const entry = getProvider(value.provider);
  if (entry.baseUrl === 'none') {
    ctx.addIssue({ code: 'custom', path: ['provider'], message: `${entry.id} does not take a key` });
    return;
  }
  const baseUrl = value.baseUrl ?? '';
  if (entry.baseUrl === 'fixed' && baseUrl !== '') {
    ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: `${entry.id} has a fixed base URL; omit baseUrl` });
  }
  if (entry.baseUrl === 'required' && baseUrl === '') {
    ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: `baseUrl is required for ${entry.id}` });
  }
  if (baseUrl !== '' && entry.baseUrlHostPattern !== null && !new RegExp(entry.baseUrlHostPattern).test(baseUrl)) {
    ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: `baseUrl for ${entry.id} must match ${entry.baseUrlHostPattern}` });
  }
}

/** Accepts "" as "no base URL" (the seal's AAD uses "" then). */
const OptionalBaseUrl = z.union([z.literal(''), NormalizedBaseUrl]).optional();

/**
 * `PUT /v1/secrets/:id`: create (201) or rotate (200) a personal key. `hint` and `sealed` come
 * together; a provider whose catalog entry says `keyRequired: false` may omit both (a keyless
 * entry: provider, label, default model and base URL, no key).
 */
export const PutSecretRequest = z
  .strictObject({
    provider: ProviderId,
    label: Label,
    defaultModel: ModelId.optional(),
    baseUrl: OptionalBaseUrl,
    hint: KeyHintSchema.optional(),
    sealed: SealedBlobSchema.optional(),
    /**
     * On a plan that allows keys for one provider at a time (private), storing a key for another
     * provider is refused unless this is true: then the other provider's keys are deleted in the
     * same transaction. Nothing is ever replaced silently.
     */
    replace: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    checkKeyTarget(value, ctx);
    const entry = getProvider(value.provider);
    if (value.hint === undefined || value.sealed === undefined) {
      if (value.hint !== undefined || value.sealed !== undefined) {
        const missing = value.hint === undefined ? 'hint' : 'sealed';
        ctx.addIssue({ code: 'custom', path: [missing], message: 'hint and sealed go together: send both, or neither for a keyless entry' });
      } else if (entry.keyRequired) {
        ctx.addIssue({ code: 'custom', path: ['sealed'], message: `${entry.id} needs a key: hint and sealed are required` });
      }
      return;
    }
    const prefixes = entry.keyPrefixes;
    const prefixOk = prefixes.length === 0 ? value.hint.prefix === '' : prefixes.includes(value.hint.prefix);
    if (!prefixOk) {
      ctx.addIssue({ code: 'custom', path: ['hint', 'prefix'], message: `hint.prefix is not a ${value.provider} key prefix` });
    }
  });
export type PutSecretRequest = z.infer<typeof PutSecretRequest>;

export const PutSecretResponse = z.object({ secret: UserSecretView });
export type PutSecretResponse = z.infer<typeof PutSecretResponse>;

/** `PATCH /v1/secrets/:id`; `defaultModel: null` clears it. */
export const PatchSecretRequest = z.strictObject({
  label: Label.optional(),
  defaultModel: ModelId.nullable().optional(),
});
export type PatchSecretRequest = z.infer<typeof PatchSecretRequest>;

export const PatchSecretResponse = PutSecretResponse;
export type PatchSecretResponse = PutSecretResponse;

/** `PUT /v1/secrets/order`: the caller's personal key ids in their new order, each once. */
export const PutOrderRequest = z.strictObject({
  ids: z
    .array(Uuid)
    .max(1000)
    .refine((ids) => new Set(ids).size === ids.length, 'ids must not repeat'),
});
export type PutOrderRequest = z.infer<typeof PutOrderRequest>;

/** The listing after the reorder. */
export const PutOrderResponse = ListSecretsResponse;
export type PutOrderResponse = ListSecretsResponse;

/** A `verify` grant for a sealed key; a keyless entry is verified with `{}` (no grant). */
export const VerifySecretRequest = z.strictObject({ grant: GrantToken.optional() });
export type VerifySecretRequest = z.infer<typeof VerifySecretRequest>;

export const VerifySecretResponse = z.object({
  status: z.enum(['valid', 'invalid', 'unreachable']),
  model: z.string().optional(),
  /** Short human text (e.g. "HTTP 401 from provider"); never the provider's body or the key. */
  detail: z.string(),
});
export type VerifySecretResponse = z.infer<typeof VerifySecretResponse>;
