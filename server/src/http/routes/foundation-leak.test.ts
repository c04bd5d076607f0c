// The leak canary over the vault's whole life (issue 2): canary keys of every fixed-host provider are
// stored, rotated, released by grants, replayed, refused and deleted, and the passphrase changes.
// Then logs, every response body and header, and every file of the data dir (database and WAL) are
// searched for the keys; logs and data files also for tokens, grants, data keys and auth proofs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccountKeys, newKdfParams, rewrapDek, unwrapDek } from '@byok/shared';
import { b64urlEncode } from '@byok/shared/crypto/bytes';
import { LeakCanary, filesBelow, responseHaystacks, type Haystack } from '../../../../test/support/leak-canary';
import { startTestServer, type TestServer } from '../../testing/test-server';
import { TestClient, type ApiResponse, type TestUser } from '../../testing/client';

/** A TestClient that keeps every response, so the canary can search them all. */
class RecordingClient extends TestClient {
  readonly responses: Haystack[] = [];

  override async request<Body = unknown>(method: string, path: string, options: Parameters<TestClient['request']>[2] = {}): Promise<ApiResponse<Body>> {
    const response = await super.request<Body>(method, path, options);
    this.responses.push(...responseHaystacks(`${method} ${path} -> ${response.status}`, response));
    return response;
  }
}

const FIXED_HOST_PROVIDERS = ['openai', 'anthropic', 'google', 'mistral', 'groq', 'aleph-alpha'] as const;

describe('leak canary over the vault', () => {
  let server: TestServer;
  let client: RecordingClient;
  let user: TestUser;
  const keys = new LeakCanary(); // must appear nowhere: logs, responses, data files
  const session = new LeakCanary(); // tokens, grants, data keys, proofs: never in logs or data files

  beforeAll(async () => {
    server = await startTestServer({ logLevel: 'debug' });
    client = new RecordingClient(server.baseUrl);
    user = await client.register();
  });
  afterAll(() => server.close());

  it('keeps every key out of logs, responses and the data dir through a full life cycle', async () => {
    session.watch(user.authProof);
    const ids: string[] = [];
    for (const provider of FIXED_HOST_PROVIDERS) {
      const stored = await client.putKey(user, { provider, apiKey: keys.key(provider), label: `${provider} canary` });
      expect(stored.status).toBe(201);
      ids.push(stored.sent.secretId);
      const rotated = await client.putKey(user, { provider, apiKey: keys.key(provider), secretId: stored.sent.secretId });
      expect(rotated.status).toBe(200);
    }

    // Refused writes: a rotation to another provider, a broken seal, a stale version.
    const clash = await client.putKey(user, { provider: 'anthropic', apiKey: keys.key('anthropic'), secretId: ids[0] });
    expect(clash.status).toBe(409);
    const broken = await client.seal(user, { provider: 'openai', apiKey: keys.key('openai') });
    const refused = await client.request('PUT', `/v1/secrets/${broken.secretId}`, {
      token: user.accessToken,
      body: { provider: 'openai', label: 'broken', hint: broken.hint, sealed: { ...broken.sealed, ct: broken.sealed.ct.slice(0, 10) } },
    });
    expect(refused.status).toBe(400);
    const stale = await client.putKey(user, { provider: 'openai', apiKey: keys.key('openai'), secretId: ids[0], ifMatch: '"1"' });
    expect(stale.status).toBe(409);

    // Release every key for one request (the builtin provider answers, so nothing leaves the machine),
    // then replay one of the grants.
    const list = await client.request<{ secrets: { id: string; wrappedDek: string }[] }>('GET', '/v1/secrets', { token: user.accessToken });
    const grants: string[] = [];
    for (const secret of list.body.secrets) {
      const grant = await client.grant(user, secret.id, { wrappedDek: secret.wrappedDek });
      session.watch(grant);
      const dek = await unwrapDek(user.kek, secret.wrappedDek);
      session.watch(b64urlEncode(dek));
      grants.push(grant);
    }
    const enrich = { task: 'enrich', provider: 'builtin', input: { kind: 'selection', text: 'Ada Lovelace wrote the first program in London in 1843.' } };
    const released = await client.request('POST', '/v1/enrich', { token: user.accessToken, body: { ...enrich, grants } });
    expect(released.status).toBe(200);
    const replay = await client.request<{ error: { code: string } }>('POST', '/v1/enrich', { token: user.accessToken, body: { ...enrich, grants: grants.slice(0, 1) } });
    expect(replay.body.error.code).toBe('grant_replayed');

    // A passphrase change re-wraps every data key; the new KEK never leaves the client.
    const kdf = newKdfParams();
    const next = await deriveAccountKeys('another long passphrase for the canary', kdf);
    session.watch(next.authProof);
    const rewrapped = await Promise.all(list.body.secrets.map(async (secret) => ({ id: secret.id, wrappedDek: await rewrapDek(user.kek, next.kek, secret.wrappedDek) })));
    const changed = await client.request('PUT', '/v1/auth/passphrase', {
      token: user.accessToken,
      body: { kdf, authProof: user.authProof, newAuthProof: next.authProof, rewrapped },
    });
    expect(changed.status).toBe(204);

    // Tokens: refresh rotates, logout revokes; a deleted key takes its ciphertext with it.
    const login = await client.request<{ accessToken: string; refreshToken: string }>('POST', '/v1/auth/login', { body: { email: user.email, authProof: next.authProof } });
    expect(login.status).toBe(200);
    session.watch(login.body.accessToken);
    session.watch(login.body.refreshToken);
    for (const id of ids.slice(0, 3)) expect((await client.request('DELETE', `/v1/secrets/${id}`, { token: login.body.accessToken })).status).toBe(204);
    expect((await client.request('GET', '/v1/audit?limit=100', { token: login.body.accessToken })).status).toBe(200);
    expect((await client.request('POST', '/v1/auth/logout', { token: login.body.accessToken })).status).toBe(204);

    // Scanned while the server runs: the database and its WAL are both on disk (close() removes the dir).
    const logs: Haystack = { name: 'server logs', content: server.logs.join('\n') };
    const dataFiles = await filesBelow(server.dataDir);
    expect(dataFiles.some((file) => file.name.endsWith('.sqlite'))).toBe(true);
    expect(dataFiles.some((file) => file.name.endsWith('.sqlite-wal'))).toBe(true);
    expect(server.logs.length).toBeGreaterThan(20);
    keys.assertClean([logs, ...client.responses, ...dataFiles]);
    session.assertClean([logs, ...dataFiles]);
  });
});
