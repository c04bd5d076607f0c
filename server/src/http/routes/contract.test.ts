// Responses parse with shared's wire schemas, so the server and its clients cannot drift.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { LoginResponse, MeResponse, PreloginResponse, RefreshResponse } from '@byok/shared/wire/accounts';
import { CreateInviteResponse } from '@byok/shared/wire/admin';
import { ErrorBodySchema } from '@byok/shared/wire/common';
import { GrantKeysResponse, HealthzResponse, ProvidersResponse } from '@byok/shared/wire/discovery';
import { ListSecretsResponse, PutSecretResponse } from '@byok/shared/wire/secrets';
import { startTestServer } from '../../testing/test-server';
import { TestClient } from '../../testing/client';

function expectShape(schema: z.ZodType, body: unknown): void {
  const result = schema.safeParse(body);
  expect(result.success ? [] : result.error.issues).toEqual([]);
}

describe('wire contract', () => {
  it('answers in the shapes of shared/src/wire', async () => {
    const server = await startTestServer({ env: { BYOK_DEFAULT_PLAN: 'business' } });
    try {
      const client = new TestClient(server.baseUrl);
      const owner = await client.register();
      const register = await client.request('POST', '/v1/auth/login', { body: { email: owner.email, authProof: owner.authProof } });
      expectShape(LoginResponse, register.body);
      expectShape(PreloginResponse, (await client.request('POST', '/v1/auth/prelogin', { body: { email: owner.email } })).body);
      expectShape(MeResponse, (await client.request('GET', '/v1/me', { token: owner.accessToken })).body);
      const put = await client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-CONTRACTcontractCONTRACT01' });
      expectShape(PutSecretResponse, put.body);
      const azure = await client.putKey(owner, {
        provider: 'azure-openai',
        apiKey: 'abcdefabcdefabcdefabcdefabcdef0123456789',
        baseUrl: 'https://myres.openai.azure.com',
      });
      expect(azure.status, azure.text).toBe(201);
      expectShape(PutSecretResponse, azure.body);
      server.db
        .prepare(
          `INSERT INTO org_secrets (id, org_id, provider, label, hint_prefix, hint_last4, iv, ct, wrapped_dek, kek_id, created_at)
           VALUES (?, ?, 'openai', 'Shared', 'sk-', 'ab12', 'iv', 'ct', 'w', 'kek', ?)`,
        )
        .run(crypto.randomUUID(), owner.orgId, new Date().toISOString());
      const list = await client.request<{ secrets: { scope: string }[] }>('GET', '/v1/secrets', { token: owner.accessToken });
      expectShape(ListSecretsResponse, list.body);
      expect(list.body.secrets.map((secret) => secret.scope)).toEqual(['user', 'user', 'org']);
      expect(list.text).not.toMatch(/"(ct|iv|kekId|wrappedDek)":"(ct|iv|kek|w)"/);
      expectShape(CreateInviteResponse, (await client.request('POST', '/v1/admin/invites', { token: owner.accessToken, body: { role: 'member' } })).body);
      expectShape(RefreshResponse, (await client.refresh(owner)).body);
      expectShape(HealthzResponse, (await client.request('GET', '/healthz')).body);
      expectShape(GrantKeysResponse, (await client.request('GET', '/v1/grant-keys')).body);
      expectShape(ProvidersResponse, (await client.request('GET', '/v1/providers')).body);
      expectShape(ErrorBodySchema, (await client.request('GET', '/v1/me')).body);
    } finally {
      await server.close();
    }
  });
});
