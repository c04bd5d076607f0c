// The route table of API.md: every endpoint with its method, path, authentication, schemas,
// success statuses and error codes. The OpenAPI document is generated from it, and the server
// may use it to check that it mounts every route.
import type { z } from 'zod';
import type { ErrorCode } from '../errors';
import {
  LoginRequest,
  LoginResponse,
  MeResponse,
  PassphraseChangeRequest,
  PreloginRequest,
  PreloginResponse,
  RefreshRequest,
  RefreshResponse,
  RegisterRequest,
} from './accounts';
import {
  AdminAuditListResponse,
  AdminAuditQuery,
  AdminUsageQuery,
  AuditVerifyResponse,
  CreateInviteRequest,
  CreateInviteResponse,
  ListMembersResponse,
  PatchMemberRequest,
  PatchMemberResponse,
  PolicyResponse,
  PutOrgSecretRequest,
  PutOrgSecretResponse,
  PutPolicyRequest,
} from './admin';
import { AuditListQuery, AuditListResponse } from './audit';
import { IdParams } from './common';
import { GrantKeysResponse, HealthzResponse, ProvidersResponse } from './discovery';
import { EnrichRequest, EnrichResponse } from './enrich';
import {
  ListSecretsResponse,
  PatchSecretRequest,
  PutOrderRequest,
  PutSecretRequest,
  PutSecretResponse,
  VerifySecretRequest,
  VerifySecretResponse,
} from './secrets';
import { UsageCsvQuery, UsageQuery, UsageResponse } from './usage';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A schema with the component name it is published under. */
export interface NamedSchema {
  name: string;
  schema: z.ZodType;
}

export interface RouteSuccess {
  status: number;
  description: string;
  /** JSON body; absent for 204 and for non-JSON bodies. */
  body?: NamedSchema;
  /** Non-JSON media type (text/csv, text/plain, text/event-stream). */
  mediaType?: string;
}

export interface ApiRoute {
  method: HttpMethod;
  /** Express-style path (`/v1/secrets/:id`). */
  path: string;
  operationId: string;
  summary: string;
  tag: 'discovery' | 'accounts' | 'secrets' | 'enrichment' | 'usage' | 'audit' | 'admin';
  /** none: public; user: bearer token; admin: bearer token of an owner or admin. */
  auth: 'none' | 'user' | 'admin';
  params?: z.ZodType;
  query?: z.ZodType;
  body?: NamedSchema;
  success: RouteSuccess[];
  /** Route-specific error codes; the common ones are added by `routeErrors`. */
  errors: ErrorCode[];
  /** Also answers `text/event-stream` when asked (POST /v1/enrich). */
  streams?: boolean;
  /**
   * Key versions (an addition to API.md). `conditional`: answers with the key's version as
   * `ETag: "N"` and takes it back in `If-Match`; `ifMatch`: takes `If-Match` only (no body to tag).
   * A version the key has moved on from is 409 `conflict`.
   */
  etag?: 'conditional' | 'ifMatch';
}

function named(name: string, schema: z.ZodType): NamedSchema {
  return { name, schema };
}

const NO_CONTENT: RouteSuccess = { status: 204, description: 'Done; no body.' };
const GRANT_ERRORS: ErrorCode[] = ['grant_invalid', 'grant_expired', 'grant_replayed'];

export const API_ROUTES: readonly ApiRoute[] = [
  // Discovery
  { method: 'get', path: '/healthz', operationId: 'healthz', summary: 'Liveness and version', tag: 'discovery', auth: 'none',
    success: [{ status: 200, description: 'Up', body: named('HealthzResponse', HealthzResponse) }], errors: [] },
  { method: 'get', path: '/metrics', operationId: 'metrics', summary: 'Prometheus metrics', tag: 'discovery', auth: 'none',
    success: [{ status: 200, description: 'Prometheus text exposition', mediaType: 'text/plain' }], errors: [] },
  { method: 'get', path: '/v1/openapi.json', operationId: 'openapi', summary: 'This document', tag: 'discovery', auth: 'none',
    success: [{ status: 200, description: 'OpenAPI 3.1 document', mediaType: 'application/json' }], errors: [] },
  { method: 'get', path: '/v1/grant-keys', operationId: 'grantKeys', summary: 'Grant encryption keys, newest first', tag: 'discovery', auth: 'none',
    success: [{ status: 200, description: 'Key set', body: named('GrantKeysResponse', GrantKeysResponse) }], errors: [] },
  { method: 'get', path: '/v1/providers', operationId: 'providers', summary: 'Provider catalog with models and prices', tag: 'discovery', auth: 'none',
    success: [{ status: 200, description: 'Catalog', body: named('ProvidersResponse', ProvidersResponse) }], errors: [] },

  // Accounts
  { method: 'post', path: '/v1/auth/prelogin', operationId: 'prelogin', summary: 'KDF parameters for an email', tag: 'accounts', auth: 'none',
    body: named('PreloginRequest', PreloginRequest),
    success: [{ status: 200, description: 'KDF parameters (stable decoys for unknown emails)', body: named('PreloginResponse', PreloginResponse) }], errors: [] },
  { method: 'post', path: '/v1/auth/register', operationId: 'register', summary: 'Create an account', tag: 'accounts', auth: 'none',
    body: named('RegisterRequest', RegisterRequest),
    success: [{ status: 201, description: 'Registered and logged in', body: named('LoginResponse', LoginResponse) }],
    errors: ['conflict', 'forbidden'] },
  { method: 'post', path: '/v1/auth/login', operationId: 'login', summary: 'Log in with the auth proof', tag: 'accounts', auth: 'none',
    body: named('LoginRequest', LoginRequest),
    success: [{ status: 200, description: 'Logged in', body: named('LoginResponse', LoginResponse) }], errors: ['invalid_credentials'] },
  { method: 'post', path: '/v1/auth/refresh', operationId: 'refresh', summary: 'Rotate the refresh token', tag: 'accounts', auth: 'none',
    body: named('RefreshRequest', RefreshRequest),
    success: [{ status: 200, description: 'New token pair', body: named('RefreshResponse', RefreshResponse) }], errors: ['unauthenticated'] },
  { method: 'post', path: '/v1/auth/logout', operationId: 'logout', summary: "Revoke the session's refresh family", tag: 'accounts', auth: 'user',
    success: [NO_CONTENT], errors: [] },
  { method: 'put', path: '/v1/auth/passphrase', operationId: 'changePassphrase', summary: 'Change passphrase and re-wrap every data key, atomically', tag: 'accounts', auth: 'user',
    body: named('PassphraseChangeRequest', PassphraseChangeRequest),
    success: [NO_CONTENT], errors: ['invalid_credentials', 'conflict'] },
  { method: 'get', path: '/v1/me', operationId: 'me', summary: 'The caller, their organization and the effective policy', tag: 'accounts', auth: 'user',
    success: [{ status: 200, description: 'Profile', body: named('MeResponse', MeResponse) }], errors: [] },

  // Secrets ("/order" before "/:id" so that routers match it first)
  { method: 'get', path: '/v1/secrets', operationId: 'listSecrets', summary: 'Personal keys in order, then usable organization keys', tag: 'secrets', auth: 'user',
    success: [{ status: 200, description: 'Keys (never a key, only hints)', body: named('ListSecretsResponse', ListSecretsResponse) }], errors: [] },
  { method: 'put', path: '/v1/secrets/order', operationId: 'orderSecrets', summary: 'Reorder personal keys', tag: 'secrets', auth: 'user',
    body: named('PutOrderRequest', PutOrderRequest),
    success: [{ status: 200, description: 'Keys in the new order', body: named('ListSecretsResponse', ListSecretsResponse) }], errors: ['plan_limit', 'conflict'] },
  { method: 'put', path: '/v1/secrets/:id', operationId: 'putSecret', summary: 'Store (201) or rotate (200) a sealed personal key', tag: 'secrets', auth: 'user',
    params: IdParams, body: named('PutSecretRequest', PutSecretRequest),
    success: [
      { status: 201, description: 'Stored', body: named('PutSecretResponse', PutSecretResponse) },
      { status: 200, description: 'Rotated', body: named('PutSecretResponse', PutSecretResponse) },
    ],
    errors: ['not_found', 'conflict', 'plan_limit', 'provider_disabled', 'forbidden'], etag: 'conditional' },
  { method: 'patch', path: '/v1/secrets/:id', operationId: 'patchSecret', summary: 'Rename or change the default model', tag: 'secrets', auth: 'user',
    params: IdParams, body: named('PatchSecretRequest', PatchSecretRequest),
    success: [{ status: 200, description: 'Updated', body: named('PutSecretResponse', PutSecretResponse) }], errors: ['not_found', 'conflict'], etag: 'conditional' },
  { method: 'delete', path: '/v1/secrets/:id', operationId: 'deleteSecret', summary: 'Delete a personal key and its ciphertext', tag: 'secrets', auth: 'user',
    params: IdParams, success: [NO_CONTENT], errors: ['not_found', 'conflict'], etag: 'ifMatch' },
  { method: 'post', path: '/v1/secrets/:id/verify', operationId: 'verifySecret', summary: 'Live check of a key with the provider', tag: 'secrets', auth: 'user',
    params: IdParams, body: named('VerifySecretRequest', VerifySecretRequest),
    success: [{ status: 200, description: 'Verification outcome', body: named('VerifySecretResponse', VerifySecretResponse) }],
    errors: ['not_found', 'provider_disabled', ...GRANT_ERRORS] },

  // Enrichment
  { method: 'post', path: '/v1/enrich', operationId: 'enrich', summary: 'Summarize and/or extract entities', tag: 'enrichment', auth: 'user',
    body: named('EnrichRequest', EnrichRequest), streams: true,
    success: [{ status: 200, description: 'Result with route, attempts and usage', body: named('EnrichResponse', EnrichResponse) }],
    errors: [...GRANT_ERRORS, 'plan_limit', 'provider_disabled', 'key_rejected', 'content_refused', 'provider_unreachable', 'quota_exceeded'] },

  // Usage
  { method: 'get', path: '/v1/usage', operationId: 'usage', summary: "The caller's calls, totals and groups", tag: 'usage', auth: 'user',
    query: UsageQuery, success: [{ status: 200, description: 'Usage', body: named('UsageResponse', UsageResponse) }], errors: [] },
  { method: 'get', path: '/v1/usage.csv', operationId: 'usageCsv', summary: 'One row per call, with a header row', tag: 'usage', auth: 'user',
    query: UsageCsvQuery, success: [{ status: 200, description: 'CSV', mediaType: 'text/csv' }], errors: [] },

  // Audit
  { method: 'get', path: '/v1/audit', operationId: 'audit', summary: "The caller's own events, newest first", tag: 'audit', auth: 'user',
    query: AuditListQuery, success: [{ status: 200, description: 'Events', body: named('AuditListResponse', AuditListResponse) }], errors: [] },

  // Administration
  { method: 'get', path: '/v1/admin/policy', operationId: 'getPolicy', summary: 'The effective policy', tag: 'admin', auth: 'admin',
    success: [{ status: 200, description: 'Policy', body: named('PolicyResponse', PolicyResponse) }], errors: [] },
  { method: 'put', path: '/v1/admin/policy', operationId: 'putPolicy', summary: 'Replace the policy (within the plan)', tag: 'admin', auth: 'admin',
    body: named('PutPolicyRequest', PutPolicyRequest),
    success: [{ status: 200, description: 'Stored policy', body: named('PolicyResponse', PolicyResponse) }], errors: ['plan_limit'] },
  { method: 'get', path: '/v1/admin/members', operationId: 'listMembers', summary: "The organization's members", tag: 'admin', auth: 'admin',
    success: [{ status: 200, description: 'Members', body: named('ListMembersResponse', ListMembersResponse) }], errors: [] },
  { method: 'patch', path: '/v1/admin/members/:id', operationId: 'patchMember', summary: "Change a member's role", tag: 'admin', auth: 'admin',
    params: IdParams, body: named('PatchMemberRequest', PatchMemberRequest),
    success: [{ status: 200, description: 'Updated member', body: named('PatchMemberResponse', PatchMemberResponse) }], errors: ['not_found', 'conflict'] },
  { method: 'delete', path: '/v1/admin/members/:id', operationId: 'deleteMember', summary: 'Remove a member and their keys', tag: 'admin', auth: 'admin',
    params: IdParams, success: [NO_CONTENT], errors: ['not_found', 'conflict'] },
  { method: 'post', path: '/v1/admin/invites', operationId: 'createInvite', summary: 'Create a single-use invite code', tag: 'admin', auth: 'admin',
    body: named('CreateInviteRequest', CreateInviteRequest),
    success: [{ status: 201, description: 'Invite', body: named('CreateInviteResponse', CreateInviteResponse) }], errors: [] },
  { method: 'put', path: '/v1/admin/org-secrets/:id', operationId: 'putOrgSecret', summary: 'Store (201) or rotate (200) an organization key from a JWE upload', tag: 'admin', auth: 'admin',
    params: IdParams, body: named('PutOrgSecretRequest', PutOrgSecretRequest),
    success: [
      { status: 201, description: 'Stored', body: named('PutOrgSecretResponse', PutOrgSecretResponse) },
      { status: 200, description: 'Rotated', body: named('PutOrgSecretResponse', PutOrgSecretResponse) },
    ],
    errors: ['plan_limit', 'conflict', 'not_found', ...GRANT_ERRORS], etag: 'conditional' },
  { method: 'delete', path: '/v1/admin/org-secrets/:id', operationId: 'deleteOrgSecret', summary: 'Delete an organization key', tag: 'admin', auth: 'admin',
    params: IdParams, success: [NO_CONTENT], errors: ['not_found', 'conflict'], etag: 'ifMatch' },
  { method: 'get', path: '/v1/admin/usage', operationId: 'adminUsage', summary: 'Organization-wide usage (groupBy member too)', tag: 'admin', auth: 'admin',
    query: AdminUsageQuery, success: [{ status: 200, description: 'Usage', body: named('UsageResponse', UsageResponse) }], errors: [] },
  { method: 'get', path: '/v1/admin/audit', operationId: 'adminAudit', summary: "The organization's events with hash and prevHash", tag: 'admin', auth: 'admin',
    query: AdminAuditQuery, success: [{ status: 200, description: 'Events', body: named('AdminAuditListResponse', AdminAuditListResponse) }], errors: [] },
  { method: 'get', path: '/v1/admin/audit/verify', operationId: 'verifyAudit', summary: 'Recompute the hash chain', tag: 'admin', auth: 'admin',
    success: [{ status: 200, description: 'Verification result', body: named('AuditVerifyResponse', AuditVerifyResponse) }], errors: [] },
];

/** Every error code a route can answer: its own plus the ones its shape implies. */
export function routeErrors(route: ApiRoute): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors);
  if (route.body || route.query || route.params) codes.add('bad_request');
  if (route.body) codes.add('payload_too_large');
  if (route.auth !== 'none') codes.add('unauthenticated');
  if (route.auth === 'admin') codes.add('forbidden');
  if (route.params) codes.add('not_found');
  codes.add('rate_limited');
  codes.add('internal');
  return [...codes];
}
