// Wire schemas of the unauthenticated discovery endpoints: health, grant keys (CRYPTO.md
// section 3) and the provider catalog as `GET /v1/providers` serves it.
import { z } from 'zod';
import { PROVIDERS } from '../providers/entries';
import { BaseUrlMode, ProviderId, ProviderProtocol } from '../providers/types';

export const HealthzResponse = z.object({ ok: z.literal(true), version: z.string() });
export type HealthzResponse = z.infer<typeof HealthzResponse>;

export const GrantKeyJwkSchema = z.object({
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['X25519', 'P-256']),
  x: z.string(),
  y: z.string().optional(),
  kid: z.string(),
  use: z.literal('enc'),
  alg: z.literal('ECDH-ES+A256KW'),
});

/** Newest key first; a client uses the first X25519 key (P-256 where X25519 is unavailable). */
export const GrantKeysResponse = z.object({
  audience: z.string(),
  keys: z.array(GrantKeyJwkSchema).min(1),
});
export type GrantKeysResponse = z.infer<typeof GrantKeysResponse>;

export const ModelView = z.object({
  id: z.string(),
  contextTokens: z.int(),
  inputMicrosPerMTok: z.int(),
  outputMicrosPerMTok: z.int(),
});
export type ModelView = z.infer<typeof ModelView>;

export const ProviderView = z.object({
  id: ProviderId,
  name: z.string(),
  protocol: ProviderProtocol,
  keyPrefixes: z.array(z.string()),
  keyRequired: z.boolean(),
  /** RegExp source for the add-key form's live format check. */
  keyPattern: z.string().nullable(),
  baseUrl: BaseUrlMode,
  baseUrlRequired: z.boolean(),
  defaultBaseUrl: z.string().nullable(),
  baseUrlHostPattern: z.string().nullable(),
  local: z.boolean(),
  offline: z.boolean(),
  models: z.array(ModelView),
  defaultModel: z.string(),
});
export type ProviderView = z.infer<typeof ProviderView>;

export const ProvidersResponse = z.object({ providers: z.array(ProviderView) });
export type ProvidersResponse = z.infer<typeof ProvidersResponse>;

/**
 * The body of `GET /v1/providers`. `defaultBaseUrl` is the catalog's, not an operator override:
 * overrides are the server's business and must not leak internal hosts.
 */
export function providersResponse(): ProvidersResponse {
  return {
    providers: PROVIDERS.map((entry) => ({
      id: entry.id,
      name: entry.name,
      protocol: entry.protocol,
      keyPrefixes: [...entry.keyPrefixes],
      keyRequired: entry.keyRequired,
      keyPattern: entry.keyPattern,
      baseUrl: entry.baseUrl,
      baseUrlRequired: entry.baseUrl === 'required',
      defaultBaseUrl: entry.defaultBaseUrl,
      baseUrlHostPattern: entry.baseUrlHostPattern,
      local: entry.local,
      offline: entry.offline,
      models: entry.models.map((model) => ({ ...model })),
      defaultModel: entry.defaultModel,
    })),
  };
}
