// The companion's HTTP API (API.md) as typed methods. Account answers are checked with the
// shared wire schemas; the rest are read as API.md describes them.
import { isErrorCode, type GrantKeySet } from '@byok/shared';
import { LoginResponse as LoginResponseSchema, MeResponse as MeResponseSchema, type PassphraseChangeRequest } from '@byok/shared/wire/accounts';
import {
  AdminAuditListResponse,
  AuditVerifyResponse as AuditVerifySchema,
  CreateInviteResponse,
  ListMembersResponse,
  ListOrgSecretsResponse,
  PolicyResponse,
} from '@byok/shared/wire/admin';
import { GrantKeysResponse } from '@byok/shared/wire/discovery';
import { EnrichResponse, ProgressEvent } from '@byok/shared/wire/enrich';
import { ListSecretsResponse, PutSecretResponse, VerifySecretResponse, type PutSecretRequest } from '@byok/shared/wire/secrets';
import { UsageResponse } from '@byok/shared/wire/usage';
import { ExtensionError } from './errors';
import { Http, readEventStream, type HttpDeps } from './http';
import type { ListSecretsResponse as ListSecretsResponseType } from '@byok/shared/wire/secrets';
import type {
  AdminAuditEvent,
  AuditVerifyResponse,
  EnrichProgress,
  EnrichResult,
  LoginResponse,
  MeResponse,
  MemberView,
  Policy,
  SecretView,
  UsageReport,
  VerifyResult,
} from './companion-types';


export interface EnrichBody {
  task: 'summary' | 'entities' | 'enrich';
  input: { kind: 'page' | 'selection' | 'document'; text: string; url?: string | undefined; title?: string | undefined; contentType?: string | undefined };
  provider?: string | undefined;
  model?: string | undefined;
  grants: string[];
}

export interface UsageQuery {
  from?: string;
  to?: string;
  groupBy?: 'day' | 'provider' | 'model' | 'source' | 'member';
}

export type { MemberView, AdminAuditEvent as AuditEvent };

export class ApiClient {
  readonly http: Http;

  constructor(deps: HttpDeps) {
    this.http = new Http(deps);
  }

  health(): Promise<{ ok: boolean; version: string }> {
    return this.http.json('GET', '/healthz', { auth: false });
  }

  async prelogin(email: string): Promise<unknown> {
    const body = await this.http.json<{ kdf?: unknown }>('POST', '/v1/auth/prelogin', { auth: false, body: { email } });
    return body.kdf;
  }

  register(body: { email: string; authProof: string; kdf: unknown; inviteCode?: string | undefined }): Promise<LoginResponse> {
    return this.http.json('POST', '/v1/auth/register', { auth: false, body, parse: LoginResponseSchema });
  }

  login(body: { email: string; authProof: string }): Promise<LoginResponse> {
    return this.http.json('POST', '/v1/auth/login', { auth: false, body, parse: LoginResponseSchema });
  }

  async logout(): Promise<void> {
    await this.http.json('POST', '/v1/auth/logout');
  }

  /** `PUT /v1/auth/passphrase`: applied atomically by the companion, or not at all (409). */
  async changePassphrase(body: PassphraseChangeRequest): Promise<void> {
    await this.http.json('PUT', '/v1/auth/passphrase', { body });
  }

  me(): Promise<MeResponse> {
    return this.http.json('GET', '/v1/me', { parse: MeResponseSchema });
  }

  grantKeys(): Promise<GrantKeySet> {
    return this.http.json('GET', '/v1/grant-keys', { auth: false, parse: GrantKeysResponse }) as Promise<GrantKeySet>;
  }

  async listSecrets(): Promise<SecretView[]> {
    const body = await this.http.json('GET', '/v1/secrets', { parse: ListSecretsResponse });
    return body.secrets.map(toSecretView);
  }

  /**
   * Stores or rotates a key. `ifMatch`: the version the rotation replaces; the companion answers
   * 409 `conflict` when the key has moved on (or is gone) since, and changes nothing.
   */
  async putSecret(id: string, body: PutSecretRequest, ifMatch?: number): Promise<SecretView> {
    const condition = ifMatch === undefined ? {} : { headers: { 'if-match': `"${ifMatch}"` } };
    const answer = await this.http.json('PUT', `/v1/secrets/${encodeURIComponent(id)}`, { body, ...condition, parse: PutSecretResponse });
    return toSecretView(answer.secret);
  }

  async deleteSecret(id: string): Promise<void> {
    await this.http.json('DELETE', `/v1/secrets/${encodeURIComponent(id)}`);
  }

  async reorderSecrets(ids: string[]): Promise<void> {
    await this.http.json('PUT', '/v1/secrets/order', { body: { ids } });
  }

  /** `grant` for a sealed key; none for a keyless entry (the body is then `{}`). */
  verifySecret(id: string, grant?: string): Promise<VerifyResult> {
    const body = grant === undefined ? {} : { grant };
    return this.http.json('POST', `/v1/secrets/${encodeURIComponent(id)}/verify`, { body, parse: VerifySecretResponse });
  }

  /** Streams progress when the server supports it; falls back to a plain JSON answer. */
  async enrich(
    body: EnrichBody,
    options: { requestId: string; signal?: AbortSignal; onProgress?: (progress: EnrichProgress) => void },
  ): Promise<EnrichResult> {
    const response = await this.http.raw('POST', '/v1/enrich', {
      body,
      signal: options.signal,
      headers: { accept: 'text/event-stream', 'x-request-id': options.requestId },
    });
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !response.body) return EnrichResponse.parse(await response.json());
    let result: EnrichResult | null = null;
    let failure: ExtensionError | null = null;
    try {
      await readEventStream(response.body, (event, data) => {
        const parsed = JSON.parse(data) as unknown;
        if (event === 'progress') options.onProgress?.(ProgressEvent.parse(parsed));
        else if (event === 'result') result = EnrichResponse.parse(parsed);
        else if (event === 'error') {
          const error = (parsed as { error?: { code?: string; message?: string } }).error;
          failure = streamError(error?.code, error?.message);
        }
      });
    } catch (error) {
      if (options.signal?.aborted) throw new ExtensionError('cancelled', 'Cancelled.');
      throw new ExtensionError('companion_unreachable', 'The connection to the companion broke during enrichment.', { cause: error });
    }
    if (failure) throw failure;
    if (!result) throw new ExtensionError('bad_response', 'The companion ended the stream without a result.');
    return result;
  }

  async usage(query: UsageQuery, admin = false): Promise<UsageReport> {
    return this.http.json('GET', `${admin ? '/v1/admin/usage' : '/v1/usage'}${queryString(query)}`, { parse: UsageResponse });
  }

  async usageCsv(query: UsageQuery): Promise<string> {
    const response = await this.http.raw('GET', `/v1/usage.csv${queryString(query)}`, { headers: { accept: 'text/csv' } });
    return response.text();
  }

  // Administration (API.md "Administration"); a server without it answers 404 not_found.
  async getPolicy(): Promise<Policy> {
    return (await this.http.json('GET', '/v1/admin/policy', { parse: PolicyResponse })).policy;
  }

  async putPolicy(policy: Policy): Promise<Policy> {
    return (await this.http.json('PUT', '/v1/admin/policy', { body: { policy }, parse: PolicyResponse })).policy;
  }

  async members(): Promise<MemberView[]> {
    return (await this.http.json('GET', '/v1/admin/members', { parse: ListMembersResponse })).members;
  }

  async setMemberRole(id: string, role: MemberView['role']): Promise<void> {
    await this.http.json('PATCH', `/v1/admin/members/${encodeURIComponent(id)}`, { body: { role } });
  }

  async removeMember(id: string): Promise<void> {
    await this.http.json('DELETE', `/v1/admin/members/${encodeURIComponent(id)}`);
  }

  createInvite(body: { role: MemberView['role']; expiresInHours?: number }): Promise<{ code: string; expiresAt: string }> {
    return this.http.json('POST', '/v1/admin/invites', { body, parse: CreateInviteResponse });
  }

  async putOrgSecret(id: string, body: { provider: string; label: string; defaultModel?: string; baseUrl?: string; upload: string }): Promise<void> {
    await this.http.json('PUT', `/v1/admin/org-secrets/${encodeURIComponent(id)}`, { body });
  }

  /** Every organization key (admins): also those the plan or policy keeps out of routes and lists. */
  async orgSecrets(): Promise<SecretView[]> {
    const body = await this.http.json('GET', '/v1/admin/org-secrets', { parse: ListOrgSecretsResponse });
    return body.secrets.map((secret, position) => ({ ...secret, position }));
  }

  async deleteOrgSecret(id: string): Promise<void> {
    await this.http.json('DELETE', `/v1/admin/org-secrets/${encodeURIComponent(id)}`);
  }

  async adminAudit(limit = 50): Promise<AdminAuditEvent[]> {
    return (await this.http.json('GET', `/v1/admin/audit?limit=${limit}`, { parse: AdminAuditListResponse })).events;
  }

  verifyAudit(): Promise<AuditVerifyResponse> {
    return this.http.json('GET', '/v1/admin/audit/verify', { parse: AuditVerifySchema });
  }
}

function streamError(code: string | undefined, message: string | undefined): ExtensionError {
  return new ExtensionError(isErrorCode(code) ? code : 'internal', message ?? 'Enrichment failed.');
}

function queryString(query: UsageQuery): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

type WireSecret = ListSecretsResponseType['secrets'][number];

/** Personal keys and org summaries into the one cached shape (org fields left empty). */
function toSecretView(secret: WireSecret): SecretView {
  if (secret.scope === 'org') {
    return {
      ...secret,
      defaultModel: null,
      baseUrl: null,
      status: 'unverified',
      createdAt: null,
      rotatedAt: null,
      lastUsedAt: null,
      lastVerifiedAt: null,
      position: 0,
    };
  }
  // A keyless entry (a local provider stored without a key) has no wrapped data key.
  const { wrappedDek, ...rest } = secret;
  return { ...rest, ...(typeof wrappedDek === 'string' ? { wrappedDek } : {}) };
}
