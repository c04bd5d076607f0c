// Keyless entries (providers whose catalog says keyRequired: false) through the real companion and
// the emulator: saving one (and what is refused), enriching through it without a grant and without
// an Authorization header, grants that name it, verify with `{}`, rotation to and from a sealed
// key, and a passphrase change that leaves it alone; the leak canary last.
import { randomUUID } from 'node:crypto';
import { deriveAccountKeys, newKdfParams, rewrapDek } from '@byok/shared';
import type { Policy } from '@byok/shared/plans/policy';
import type { EnrichResponse } from '@byok/shared/wire/enrich';
import type { ListSecretsResponse, PutSecretResponse } from '@byok/shared/wire/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../../server/src/testing/client';
import { startHarness, type Harness } from './harness';

const TEXT = 'Ada Lovelace wrote the first program. She worked with Charles Babbage in London.';
type ErrorBody = { error: { code: string; message: string } };

let h: Harness;
let ollamaUrl: string;

beforeAll(async () => {
  h = await startHarness();
  ollamaUrl = h.emulator.urls.ollama;
  await setAllowedBaseUrls([new URL(ollamaUrl).origin]);
});
afterAll(async () => {
  await h.assertNoLeaks();
  await h.close();
});

async function setAllowedBaseUrls(allowedBaseUrls: string[]): Promise<void> {
  const current = await h.request<{ policy: Policy }>('GET', '/v1/admin/policy');
  const updated = await h.request('PUT', '/v1/admin/policy', { body: { policy: { ...current.body.policy, allowedBaseUrls } } });
  expect(updated.status).toBe(200);
}

function putKeyless(id: string, body: Record<string, unknown> = {}, user?: TestUser) {
  return h.request<PutSecretResponse & ErrorBody>('PUT', `/v1/secrets/${id}`, {
    body: { provider: 'ollama', label: 'Local Ollama', baseUrl: ollamaUrl, ...body },
    ...(user === undefined ? {} : { token: user.accessToken }),
  });
}

function enrich(body: Record<string, unknown>) {
  return h.request<EnrichResponse & ErrorBody>('POST', '/v1/enrich', { body: { task: 'summary', input: { kind: 'selection', text: TEXT }, grants: [], ...body } });
}

function secretRow(id: string): { iv: string | null; ct: string | null; wrapped_dek: string | null; hint_prefix: string; hint_last4: string } {
  return h.server.db.prepare('SELECT iv, ct, wrapped_dek, hint_prefix, hint_last4 FROM secrets WHERE id = ?').get(id) as ReturnType<typeof secretRow>;
}

function deleteAllKeys(): void {
  h.server.db.prepare('DELETE FROM secrets').run();
}

describe('keyless entries', () => {
  it('stores an Ollama entry without hint and sealed, with no ciphertext', async () => {
    deleteAllKeys();
    const id = randomUUID();
    const put = await putKeyless(id, { defaultModel: 'llama3.2' });
    expect(put.status).toBe(201);
    expect(put.body.secret).toMatchObject({ id, provider: 'ollama', baseUrl: ollamaUrl, defaultModel: 'llama3.2', hint: { prefix: '', last4: '' }, wrappedDek: null, keyless: true });
    expect(secretRow(id)).toEqual({ iv: null, ct: null, wrapped_dek: null, hint_prefix: '', hint_last4: '' });
    const list = await h.request<ListSecretsResponse>('GET', '/v1/secrets');
    expect(list.body.secrets).toEqual([expect.objectContaining({ id, wrappedDek: null, keyless: true })]);
    const { secretId } = await h.addKey('openai');
    const listed = await h.request<ListSecretsResponse>('GET', '/v1/secrets');
    expect(listed.body.secrets.find((secret) => secret.id === secretId)).toMatchObject({ keyless: false, wrappedDek: expect.any(String) });
  });

  it('refuses one of hint and sealed, keyless for a provider that needs a key, and a base URL the policy does not allow', async () => {
    const sealed = await h.client.seal(h.owner, { provider: 'ollama', apiKey: 'local-token-123456789', baseUrl: ollamaUrl });
    const hintOnly = await putKeyless(randomUUID(), { hint: sealed.hint });
    expect(hintOnly.status).toBe(400);
    expect(hintOnly.body.error.code).toBe('bad_request');
    expect(hintOnly.body.error.message).toMatch(/^Invalid body: sealed: hint and sealed go together/);
    const sealedOnly = await putKeyless(sealed.secretId, { sealed: sealed.sealed });
    expect(sealedOnly.status).toBe(400);
    expect(sealedOnly.body.error.message).toMatch(/^Invalid body: hint: hint and sealed go together/);
    const openai = await h.request<ErrorBody>('PUT', `/v1/secrets/${randomUUID()}`, { body: { provider: 'openai', label: 'No key' } });
    expect(openai.status).toBe(400);
    expect(openai.body.error.code).toBe('bad_request');
    expect(openai.body.error.message).toMatch(/^Invalid body: sealed: openai needs a key/);
    const elsewhere = await putKeyless(randomUUID(), { baseUrl: 'http://10.9.9.9:11434' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.message).toContain('allowed base URLs');
  });

  it("allows the operator's BYOK_PROVIDER_BASE_URLS like the policy's list: save, enrich and verify", async () => {
    // The harness starts the companion with the emulator's URLs as BYOK_PROVIDER_BASE_URLS; the
    // organization's own list is emptied, so only the operator's ollama URL can allow this entry.
    await setAllowedBaseUrls([]);
    try {
      deleteAllKeys();
      const id = randomUUID();
      const put = await putKeyless(id);
      expect(put.status).toBe(201);
      const response = await enrich({ provider: 'ollama' });
      expect(response.status).toBe(200);
      expect(response.body.route).toMatchObject({ provider: 'ollama', source: 'byok', secretId: id });
      const verified = await h.request<{ ok: boolean }>('POST', `/v1/secrets/${id}/verify`, { body: {} });
      expect(verified.status).toBe(200);
      // Under the operator's URL is allowed; anything else still needs the organization's list.
      expect((await putKeyless(randomUUID(), { baseUrl: `${ollamaUrl}/v2` })).status).toBe(201);
      const elsewhere = await putKeyless(randomUUID(), { baseUrl: `${new URL(ollamaUrl).origin}/other` });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.error.message).toContain('allowed base URLs');
    } finally {
      await setAllowedBaseUrls([new URL(ollamaUrl).origin]);
      deleteAllKeys();
    }
  });

  it("gets a sealed key no call and no verification once the policy stops allowing its base URL", async () => {
    deleteAllKeys();
    // Under the organization's list (the emulator's origin), not under the operator's ollama URL.
    // Not registered with the emulator: its Ollama takes any token until one is (keyless tests follow).
    const { secretId } = await h.addKey('ollama', { baseUrl: `${new URL(ollamaUrl).origin}/keyed`, register: false });
    const before = await enrich({ provider: 'ollama', grants: [await h.grant(secretId)] });
    expect(before.body.route).toMatchObject({ source: 'byok', secretId });
    await setAllowedBaseUrls([]);
    try {
      const after = await enrich({ provider: 'ollama', grants: [await h.grant(secretId)] });
      expect(after.body.route?.secretId).not.toBe(secretId);
      const verify = await h.request<ErrorBody>('POST', `/v1/secrets/${secretId}/verify`, { body: { grant: await h.grant(secretId, 'verify') } });
      expect(verify.status).toBe(400);
      expect(verify.body.error.message).toContain('allowed base URLs');
    } finally {
      await setAllowedBaseUrls([new URL(ollamaUrl).origin]);
      deleteAllKeys();
    }
  });

  it('enriches through a keyless entry without a grant, sends no Authorization, and records a byok usage row', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const id = randomUUID();
    expect((await putKeyless(id)).status).toBe(201);
    const response = await enrich({});
    expect(response.status).toBe(200);
    expect(response.body.route).toMatchObject({ provider: 'ollama', model: 'llama3.2', source: 'byok', secretId: id });
    expect(response.body.route.attempts).toEqual([{ provider: 'ollama', source: 'byok', outcome: 'ok', ms: expect.any(Number) }]);
    expect(response.body.summary).toEqual(expect.any(String));
    const calls = h.emulator.requests.filter((request) => request.provider === 'ollama');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((request) => request.path === '/ollama/api/chat' && request.headers['authorization'] === undefined)).toBe(true);
    const rows = h.server.db.prepare('SELECT provider, source, secret_id, outcome FROM usage_events WHERE request_id = ?').all(response.body.requestId);
    expect(rows).toEqual([{ provider: 'ollama', source: 'byok', secret_id: id, outcome: 'ok' }]);
    const listed = await h.request<ListSecretsResponse>('GET', '/v1/secrets');
    expect(listed.body.secrets[0]).toMatchObject({ id, lastUsedAt: expect.any(String) });
  });

  it('is a candidate in the user order, next to granted and ungranted keys', async () => {
    deleteAllKeys();
    const openai = await h.addKey('openai');
    const id = randomUUID();
    expect((await putKeyless(id)).status).toBe(201);
    const outcomes = (response: { body: EnrichResponse }) => response.body.route.attempts.map((attempt) => [attempt.provider, attempt.outcome]);
    const ungranted = await enrich({});
    expect(ungranted.status).toBe(200);
    expect(ungranted.body.route).toMatchObject({ source: 'byok', secretId: id });
    expect(outcomes(ungranted)).toEqual([
      ['openai', 'skipped'],
      ['ollama', 'ok'],
    ]);
    const granted = await enrich({ grants: [await h.grant(openai.secretId)] });
    expect(granted.body.route).toMatchObject({ source: 'byok', secretId: openai.secretId });
    expect(outcomes(granted)).toEqual([['openai', 'ok']]);
    // A failing keyless entry is an ordinary unreachable attempt (no builtin after a failure).
    h.emulator.setBehavior({ provider: 'ollama' }, { serverError: 503 });
    const failing = await enrich({});
    h.emulator.setBehavior({ provider: 'ollama' }, null);
    expect(failing.status).toBe(502);
    expect(failing.body.error.code).toBe('provider_unreachable');
    expect(h.server.db.prepare('SELECT source, secret_id, outcome FROM usage_events WHERE provider = ? ORDER BY rowid DESC LIMIT 1').get('ollama')).toEqual({
      source: 'byok',
      secret_id: id,
      outcome: 'unreachable',
    });
  });

  it('is no longer used, nor verified, once the policy drops its base URL', async () => {
    deleteAllKeys();
    const id = randomUUID();
    // Under the origin the policy lists, not under the operator's ollama URL (which always allows).
    expect((await putKeyless(id, { baseUrl: `${new URL(ollamaUrl).origin}/elsewhere` })).status).toBe(201);
    await setAllowedBaseUrls([]);
    try {
      const response = await enrich({});
      expect(response.status).toBe(200);
      expect(response.body.route.source).toBe('builtin');
      const verify = await h.request<ErrorBody>('POST', `/v1/secrets/${id}/verify`, { body: {} });
      expect(verify.status).toBe(400);
    } finally {
      await setAllowedBaseUrls([new URL(ollamaUrl).origin]);
    }
    const back = await enrich({});
    expect(back.body.route).toMatchObject({ source: 'byok', secretId: id });
  });

  it('refuses a grant that names a keyless entry, on enrich and on verify', async () => {
    deleteAllKeys();
    const openai = await h.addKey('openai');
    const id = randomUUID();
    expect((await putKeyless(id)).status).toBe(201);
    const list = await h.request<ListSecretsResponse>('GET', '/v1/secrets');
    const openaiView = list.body.secrets.find((secret) => secret.id === openai.secretId);
    const wrappedDek = openaiView?.scope === 'user' ? (openaiView.wrappedDek ?? '') : '';
    // A grant carrying a real data key (the OpenAI key's) but naming the keyless entry.
    const forged = await h.client.grant(h.owner, id, { wrappedDek });
    const enriched = await enrich({ grants: [forged] });
    expect(enriched.status).toBe(400);
    expect(enriched.body.error.code).toBe('grant_invalid');
    const verifyGrant = await h.client.grant(h.owner, id, { wrappedDek, purpose: 'verify' });
    const verify = await h.request<ErrorBody>('POST', `/v1/secrets/${id}/verify`, { body: { grant: verifyGrant } });
    expect(verify.status).toBe(400);
    expect(verify.body.error.code).toBe('bad_request');
  });

  it('verifies with {} (no grant, no Authorization); a sealed key still needs its grant', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const id = randomUUID();
    expect((await putKeyless(id)).status).toBe(201);
    const verify = await h.request<{ status: string; model?: string }>('POST', `/v1/secrets/${id}/verify`, { body: {} });
    expect(verify.status).toBe(200);
    expect(verify.body.status).toBe('valid');
    const calls = h.emulator.requests.filter((request) => request.provider === 'ollama');
    expect(calls.map((request) => [request.method, request.path, request.headers['authorization']])).toEqual([['GET', '/ollama/api/tags', undefined]]);
    const listed = await h.request<ListSecretsResponse>('GET', '/v1/secrets');
    expect(listed.body.secrets[0]).toMatchObject({ id, status: 'valid', lastVerifiedAt: expect.any(String) });
    const rows = h.server.db.prepare("SELECT source, secret_id, outcome FROM usage_events WHERE task = 'verify' AND secret_id = ?").all(id);
    expect(rows).toEqual([{ source: 'byok', secret_id: id, outcome: 'ok' }]);
    const openai = await h.addKey('openai');
    const noGrant = await h.request<ErrorBody>('POST', `/v1/secrets/${openai.secretId}/verify`, { body: {} });
    expect(noGrant.status).toBe(400);
    expect(noGrant.body.error.code).toBe('bad_request');
  });

  it('rotates from keyless to a sealed key and back, keeping the provider rule', async () => {
    deleteAllKeys();
    const id = randomUUID();
    expect((await putKeyless(id)).status).toBe(201);
    const sealed = await h.client.seal(h.owner, { provider: 'ollama', apiKey: 'local-token-abcdefgh1234', baseUrl: ollamaUrl, secretId: id });
    const withKey = await putKeyless(id, { hint: sealed.hint, sealed: sealed.sealed });
    expect(withKey.status).toBe(200);
    expect(withKey.body.secret).toMatchObject({ keyless: false, wrappedDek: sealed.sealed.wrappedDek, hint: { prefix: '', last4: '1234' } });
    expect(secretRow(id).ct).toBe(sealed.sealed.ct);
    const keyless = await putKeyless(id);
    expect(keyless.status).toBe(200);
    expect(keyless.body.secret).toMatchObject({ keyless: true, wrappedDek: null, hint: { prefix: '', last4: '' } });
    expect(secretRow(id)).toEqual({ iv: null, ct: null, wrapped_dek: null, hint_prefix: '', hint_last4: '' });
    const other = await putKeyless(id, { provider: 'lmstudio', baseUrl: `${new URL(ollamaUrl).origin}/lmstudio/v1` });
    expect(other.status).toBe(409);
  });

  it('leaves keyless entries out of a passphrase change', async () => {
    const member = await h.client.register();
    h.canary.watch(member.accessToken);
    const apiKey = h.canary.key('openai');
    h.emulator.addKey('openai', apiKey);
    const sealed = await h.client.putKey(member, { provider: 'openai', apiKey });
    expect(sealed.status).toBe(201);
    const keylessId = randomUUID();
    expect((await putKeyless(keylessId, {}, member)).status).toBe(201);
    const kdf = newKdfParams();
    const next = await deriveAccountKeys('another passphrase entirely', kdf);
    const rewrapped = [{ id: sealed.sent.secretId, wrappedDek: await rewrapDek(member.kek, next.kek, sealed.sent.sealed.wrappedDek) }];
    const change = (entries: { id: string; wrappedDek: string }[]) =>
      h.client.request<ErrorBody>('PUT', '/v1/auth/passphrase', { token: member.accessToken, body: { kdf, authProof: member.authProof, newAuthProof: next.authProof, rewrapped: entries } });
    // Naming the keyless entry (it has no wrappedDek to replace) is not "exactly the keys".
    const withKeyless = await change([...rewrapped, { id: keylessId, wrappedDek: rewrapped[0]?.wrappedDek ?? '' }]);
    expect(withKeyless.status).toBe(409);
    expect(secretRow(keylessId).wrapped_dek).toBeNull();
    const ok = await change(rewrapped);
    expect(ok.status).toBe(204);
    expect(secretRow(keylessId)).toMatchObject({ wrapped_dek: null, ct: null });
    expect(secretRow(sealed.sent.secretId).wrapped_dek).toBe(rewrapped[0]?.wrappedDek);
    // The re-wrapped key still opens under the new KEK.
    const renewed: TestUser = { ...member, kek: next.kek, authProof: next.authProof };
    const grant = await h.client.grant(renewed, sealed.sent.secretId, { purpose: 'verify' });
    const verify = await h.client.request<{ status: string }>('POST', `/v1/secrets/${sealed.sent.secretId}/verify`, { token: member.accessToken, body: { grant } });
    expect(verify.status).toBe(200);
    expect(verify.body.status).toBe('valid');
  });
});
