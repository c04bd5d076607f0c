// A small API client for tests that does the client side of CRYPTO.md for real: derives the
// account keys (PBKDF2 600,000 + HKDF), registers and logs in with the authProof, seals keys
// under the KEK, and makes grants from GET /v1/grant-keys. Derivations are cached per
// (passphrase, salt) so a suite pays for each distinct account secret once.
import { randomUUID } from 'node:crypto';
import {
  computeHint,
  createGrant,
  deriveAccountKeys,
  getProvider,
  newKdfParams,
  sealApiKey,
  secretAad,
  unwrapDek,
} from '@byok/shared';
import type { GrantKeySet, KdfParams, KeyHint, SealedBlob } from '@byok/shared';

export interface ApiResponse<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
  text: string;
}

export interface TestUser {
  email: string;
  passphrase: string;
  kdf: KdfParams;
  authProof: string;
  kek: CryptoKey;
  userId: string;
  orgId: string;
  role: string;
  accessToken: string;
  refreshToken: string;
}

const derived = new Map<string, Promise<{ authProof: string; kek: CryptoKey }>>();

/** One KDF parameter set per process: users of a suite share it so that derivation is cached. */
const SHARED_KDF = newKdfParams();
export const DEFAULT_PASSPHRASE = 'correct horse battery staple';

export function deriveCached(passphrase: string, kdf: KdfParams): Promise<{ authProof: string; kek: CryptoKey }> {
  const cacheKey = `${kdf.salt}|${kdf.iterations}|${passphrase}`;
  let entry = derived.get(cacheKey);
  if (!entry) {
    entry = deriveAccountKeys(passphrase, kdf);
    derived.set(cacheKey, entry);
  }
  return entry;
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${counter}-${randomUUID().slice(0, 8)}@example.test`;
}

export interface SealedKey {
  secretId: string;
  provider: string;
  baseUrl: string;
  hint: KeyHint;
  sealed: SealedBlob;
}

/** A PUT /v1/secrets/:id answer: `secret` on success, `error` otherwise. */
export interface PutKeyBody {
  secret?: Record<string, unknown> & { id: string; version: number };
  error?: { code: string; message: string };
}

export class TestClient {
  constructor(readonly baseUrl: string) {}

  async request<Body = unknown>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) {
      payload = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await response.text();
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: body as Body, text };
  }

  /** Registers a user (first one becomes owner); throws unless the server answers 201. */
  async register(options: { email?: string; passphrase?: string; kdf?: KdfParams; inviteCode?: string } = {}): Promise<TestUser> {
    const response = await this.tryRegister(options);
    if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
    return response.user;
  }

  async tryRegister(options: { email?: string; passphrase?: string; kdf?: KdfParams; inviteCode?: string } = {}): Promise<ApiResponse & { user: TestUser }> {
    const email = options.email ?? uniqueEmail();
    const passphrase = options.passphrase ?? DEFAULT_PASSPHRASE;
    const kdf = options.kdf ?? SHARED_KDF;
    const { authProof, kek } = await deriveCached(passphrase, kdf);
    const response = await this.request<{ user: { id: string; role: string }; org: { id: string }; accessToken: string; refreshToken: string }>(
      'POST',
      '/v1/auth/register',
      { body: { email, authProof, kdf, ...(options.inviteCode === undefined ? {} : { inviteCode: options.inviteCode }) } },
    );
    const body = response.body;
    const user: TestUser = {
      email,
      passphrase,
      kdf,
      authProof,
      kek,
      userId: response.status === 201 ? body.user.id : '',
      orgId: response.status === 201 ? body.org.id : '',
      role: response.status === 201 ? body.user.role : '',
      accessToken: response.status === 201 ? body.accessToken : '',
      refreshToken: response.status === 201 ? body.refreshToken : '',
    };
    return { ...response, user };
  }

  /** Pre-login then login, as the extension does; updates the user's tokens. */
  async login(user: TestUser, passphrase = user.passphrase): Promise<ApiResponse> {
    const pre = await this.request<{ kdf: KdfParams }>('POST', '/v1/auth/prelogin', { body: { email: user.email } });
    if (pre.status !== 200) return pre;
    const { authProof } = await deriveCached(passphrase, pre.body.kdf);
    const response = await this.request<{ accessToken: string; refreshToken: string }>('POST', '/v1/auth/login', { body: { email: user.email, authProof } });
    if (response.status === 200) {
      user.accessToken = response.body.accessToken;
      user.refreshToken = response.body.refreshToken;
    }
    return response;
  }

  async refresh(user: TestUser): Promise<ApiResponse<{ accessToken: string; refreshToken: string }>> {
    const response = await this.request<{ accessToken: string; refreshToken: string }>('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
    if (response.status === 200) {
      user.accessToken = response.body.accessToken;
      user.refreshToken = response.body.refreshToken;
    }
    return response;
  }

  async invite(admin: TestUser, role: 'admin' | 'member' = 'member', expiresInHours?: number): Promise<string> {
    const response = await this.request<{ code: string }>('POST', '/v1/admin/invites', {
      token: admin.accessToken,
      body: { role, ...(expiresInHours === undefined ? {} : { expiresInHours }) },
    });
    if (response.status !== 201) throw new Error(`invite failed: ${response.status} ${response.text}`);
    return response.body.code;
  }

  /** Seals `apiKey` for `user` exactly as the extension does. */
  async seal(user: TestUser, input: { provider: string; apiKey: string; baseUrl?: string; secretId?: string }): Promise<SealedKey> {
    const secretId = input.secretId ?? randomUUID();
    const baseUrl = input.baseUrl ?? '';
    const entry = getProvider(input.provider);
    const sealed = await sealApiKey({ apiKey: input.apiKey, kek: user.kek, aad: secretAad({ userId: user.userId, secretId, provider: input.provider, baseUrl }) });
    return { secretId, provider: input.provider, baseUrl, hint: computeHint(input.apiKey, entry?.keyPrefixes ?? []), sealed };
  }

  /** Seals and PUTs a key; returns the response and what was sent. */
  async putKey(
    user: TestUser,
    input: { provider: string; apiKey: string; label?: string; baseUrl?: string; secretId?: string; defaultModel?: string; ifMatch?: string },
  ): Promise<ApiResponse<PutKeyBody> & { sent: SealedKey }> {
    const sent = await this.seal(user, input);
    const response = await this.request<PutKeyBody>('PUT', `/v1/secrets/${sent.secretId}`, {
      token: user.accessToken,
      headers: input.ifMatch === undefined ? {} : { 'if-match': input.ifMatch },
      body: {
        provider: input.provider,
        label: input.label ?? `${input.provider} key`,
        ...(input.defaultModel === undefined ? {} : { defaultModel: input.defaultModel }),
        ...(sent.baseUrl === '' ? {} : { baseUrl: sent.baseUrl }),
        hint: sent.hint,
        sealed: sent.sealed,
      },
    });
    return { ...response, sent };
  }

  async grantKeys(): Promise<GrantKeySet> {
    const response = await this.request<GrantKeySet>('GET', '/v1/grant-keys');
    if (response.status !== 200) throw new Error(`grant-keys failed: ${response.status}`);
    return response.body;
  }

  /** A grant for one of `user`'s keys: unwraps its data key with the KEK (from GET /v1/secrets). */
  async grant(
    user: TestUser,
    secretId: string,
    options: { purpose?: 'enrich' | 'verify'; lifetimeSeconds?: number; now?: number; keySet?: GrantKeySet; wrappedDek?: string } = {},
  ): Promise<string> {
    let wrappedDek = options.wrappedDek;
    if (wrappedDek === undefined) {
      const list = await this.request<{ secrets: { id: string; wrappedDek?: string }[] }>('GET', '/v1/secrets', { token: user.accessToken });
      wrappedDek = list.body.secrets.find((secret) => secret.id === secretId)?.wrappedDek;
      if (wrappedDek === undefined) throw new Error('no such key for this user');
    }
    const dek = await unwrapDek(user.kek, wrappedDek);
    try {
      return await createGrant({
        keySet: options.keySet ?? (await this.grantKeys()),
        userId: user.userId,
        secretId,
        dek,
        purpose: options.purpose ?? 'enrich',
        ...(options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds }),
        ...(options.now === undefined ? {} : { now: options.now }),
      });
    } finally {
      dek.fill(0);
    }
  }
}
