// Personal keys over real HTTP: write-only views, rotation with optimistic concurrency, deletion
// that leaves no ciphertext in the database file, other users' ids, ids of organization keys, plan
// and policy checks.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestServer } from '../../testing/test-server';
import type { TestServer } from '../../testing/test-server';
import { TestClient } from '../../testing/client';
import type { TestUser } from '../../testing/client';
import { defaultPolicy } from '@byok/shared/plans/policy';
import { CLI_ACTOR } from '../../services/admin/actor';
import { createSecondOrg, putOrgKey, startAdminTestServer } from './admin-test-support';
import type { AdminHarness } from './admin-test-support';

type ErrorResponse = { error: { code: string; message: string } };
type SecretBody = { secret: Record<string, unknown> & { id: string; version: number; hint: { prefix: string; last4: string } } };

const OPENAI_KEY = 'sk-proj-AAAAbbbbCCCCddddEEEEffff0001';
const ANTHROPIC_KEY = 'sk-ant-AAAAbbbbCCCCddddEEEEffff0002';

function storedState(server: TestServer): unknown {
  return {
    secrets: server.db.prepare('SELECT * FROM secrets ORDER BY id').all(),
    audit: server.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get(),
  };
}

/**
 * Copies the whole WAL into the database file and empties it. The server's checkpoint worker may be
 * in a checkpoint of its own at that moment, and SQLite then answers `busy` instead of waiting: a
 * loaded run (the whole suite in parallel) saw the old seal still in the WAL. So it is asked again.
 */
function checkpointAll(server: TestServer): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 200; attempt++) {
    const [result] = server.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result?.busy === 0) return;
    Atomics.wait(pause, 0, 0, 10);
  }
  throw new Error('the WAL could not be checkpointed in 2 s');
}

function expectGoneFromFiles(server: TestServer, value: string): void {
  checkpointAll(server);
  for (const file of readdirSync(server.dataDir).filter((name) => name.startsWith('byok.sqlite'))) {
    const bytes = readFileSync(join(server.dataDir, file));
    expect(bytes.includes(Buffer.from(value, 'utf8')), file).toBe(false);
    expect(bytes.includes(Buffer.from(value.slice(0, 24), 'utf8')), file).toBe(false);
  }
}

describe('personal keys', () => {
  let server: TestServer;
  let client: TestClient;
  let owner: TestUser;
  let other: TestUser;
  beforeAll(async () => {
    server = await startTestServer({ openSignup: true });
    client = new TestClient(server.baseUrl);
    owner = await client.register();
    other = await client.register();
  });
  afterAll(() => server.close());

  it('stores a key (201) and never returns ct or iv, only the hint', async () => {
    const put = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY, label: 'Work', defaultModel: 'gpt-4o-mini' });
    expect(put.status).toBe(201);
    const body = put.body as SecretBody;
    expect(body.secret).toMatchObject({
      id: put.sent.secretId,
      scope: 'user',
      provider: 'openai',
      label: 'Work',
      hint: { prefix: 'sk-proj-', last4: '0001' },
      defaultModel: 'gpt-4o-mini',
      baseUrl: null,
      status: 'unverified',
      version: 1,
      wrappedDek: put.sent.sealed.wrappedDek,
    });
    expect(put.headers.get('etag')).toBe('"1"');
    const list = await client.request('GET', '/v1/secrets', { token: owner.accessToken });
    for (const text of [put.text, list.text]) {
      expect(text).not.toContain(put.sent.sealed.ct);
      expect(text).not.toContain(put.sent.sealed.iv);
      expect(text).not.toContain('"ct"');
      expect(text).not.toContain('"iv"');
      expect(text).not.toContain(OPENAI_KEY);
    }
  });

  it('rotates under the same id (200), replacing the seal and bumping the version', async () => {
    const first = await client.putKey(owner, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
    const secretId = first.sent.secretId;
    const rotated = await client.putKey(owner, { provider: 'anthropic', apiKey: 'sk-ant-ZZZZyyyyXXXXwwwwVVVVuuuu0003', secretId, label: 'rotated' });
    expect(rotated.status).toBe(200);
    const secret = (rotated.body as SecretBody).secret;
    expect(secret.version).toBeGreaterThan((first.body as SecretBody).secret.version);
    expect(rotated.headers.get('etag')).toBe(`"${secret.version}"`);
    expect(secret.hint).toEqual({ prefix: 'sk-ant-', last4: '0003' });
    expect(secret.rotatedAt).toEqual(expect.any(String));
    const row = server.db.prepare('SELECT ct, iv, wrapped_dek FROM secrets WHERE id = ?').get(secretId) as { ct: string; iv: string; wrapped_dek: string };
    expect(row).toEqual({ ct: rotated.sent.sealed.ct, iv: rotated.sent.sealed.iv, wrapped_dek: rotated.sent.sealed.wrappedDek });
    const count = server.db.prepare('SELECT COUNT(*) AS n FROM secrets WHERE id = ?').get(secretId) as { n: number };
    expect(count.n).toBe(1);
    // Nothing of the old seal is kept anywhere in the database files.
    expectGoneFromFiles(server, first.sent.sealed.ct);
    expectGoneFromFiles(server, first.sent.sealed.wrappedDek);
  });

  it('refuses a rotation to another provider with 409 and changes nothing', async () => {
    const first = await client.putKey(owner, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0004' });
    const before = storedState(server);
    const moved = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY, secretId: first.sent.secretId });
    expect(moved.status).toBe(409);
    expect((moved.body as ErrorResponse).error.code).toBe('conflict');
    expect(storedState(server)).toEqual(before);
  });

  it('applies If-Match: a stale version is 409; concurrent rotations with one version: exactly one wins', async () => {
    const first = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY });
    const secretId = first.sent.secretId;
    const version = (first.body as SecretBody).secret.version;
    const stale = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY, secretId, ifMatch: `"${version + 100}"` });
    expect(stale.status).toBe(409);
    const racers = await Promise.all(
      Array.from({ length: 4 }, (_, index) =>
        client.putKey(owner, { provider: 'openai', apiKey: `sk-proj-RACEraceRACEraceRACErace000${index}`, secretId, ifMatch: `"${version}"` }),
      ),
    );
    const statuses = racers.map((racer) => racer.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    const winner = racers.find((racer) => racer.status === 200);
    const row = server.db.prepare('SELECT ct, iv, wrapped_dek, version, hint_last4 FROM secrets WHERE id = ?').get(secretId) as Record<string, unknown>;
    expect(row).toEqual({
      ct: winner?.sent.sealed.ct,
      iv: winner?.sent.sealed.iv,
      wrapped_dek: winner?.sent.sealed.wrappedDek,
      version: (winner?.body as SecretBody).secret.version,
      hint_last4: winner?.sent.hint.last4,
    });
  });

  it('applies If-Match to PATCH and DELETE too: a stale version is 409 and changes nothing', async () => {
    const first = await client.putKey(owner, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0021' });
    const secretId = first.sent.secretId;
    const listed = (first.body as SecretBody).secret.version;
    // Another device renames the key; this one still holds the version it listed.
    const renamed = await client.request<SecretBody>('PATCH', `/v1/secrets/${secretId}`, { token: owner.accessToken, body: { label: 'theirs' }, headers: { 'if-match': `"${listed}"` } });
    expect(renamed.status).toBe(200);
    const current = renamed.body.secret.version;
    const before = storedState(server);
    const stalePatch = await client.request<ErrorResponse>('PATCH', `/v1/secrets/${secretId}`, { token: owner.accessToken, body: { label: 'mine' }, headers: { 'if-match': `"${listed}"` } });
    expect(stalePatch.status).toBe(409);
    expect(stalePatch.body.error.code).toBe('conflict');
    const staleDelete = await client.request<ErrorResponse>('DELETE', `/v1/secrets/${secretId}`, { token: owner.accessToken, headers: { 'if-match': `"${listed}"` } });
    expect(staleDelete.status).toBe(409);
    expect(storedState(server)).toEqual(before);
    expect((await client.request('DELETE', `/v1/secrets/${secretId}`, { token: owner.accessToken, headers: { 'if-match': '*' } })).status).toBe(400);
    expect((await client.request('DELETE', `/v1/secrets/${secretId}`, { token: owner.accessToken, headers: { 'if-match': `"${current}"` } })).status).toBe(204);
  });

  it("never gives a version twice, not even to a key created again under a deleted key's id", async () => {
    const first = await client.putKey(owner, { provider: 'mistral', apiKey: 'mistralAAAAbbbbCCCCddddEEEE0011' });
    const secretId = first.sent.secretId;
    const created = (first.body as SecretBody).secret.version;
    const renamed = await client.request<SecretBody>('PATCH', `/v1/secrets/${secretId}`, { token: owner.accessToken, body: { label: 'renamed' } });
    expect(renamed.body.secret.version).toBeGreaterThan(created);
    expect((await client.request('DELETE', `/v1/secrets/${secretId}`, { token: owner.accessToken })).status).toBe(204);
    const again = await client.putKey(owner, { provider: 'mistral', apiKey: 'mistralAAAAbbbbCCCCddddEEEE0012', secretId });
    expect(again.status).toBe(201);
    const current = (again.body as SecretBody).secret.version;
    expect(current).toBeGreaterThan(renamed.body.secret.version);
    // A client that read the old key cannot rotate the new one with the old key's version...
    for (const old of [created, renamed.body.secret.version]) {
      const stale = await client.putKey(owner, { provider: 'mistral', apiKey: 'mistralAAAAbbbbCCCCddddEEEE0013', secretId, ifMatch: `"${old}"` });
      expect(stale.status).toBe(409);
    }
    // ...and a provider's refusal of the old key does not land on the new one.
    expect(server.services.secretsStore.setStatus(owner.userId, secretId, 'invalid', null, created)).toBe(false);
    const row = server.db.prepare('SELECT status, version, hint_last4 FROM secrets WHERE id = ?').get(secretId);
    expect(row).toEqual({ status: 'unverified', version: current, hint_last4: '0012' });
  });

  it("counts versions per user: other users' key writes do not show in the gap, and a verdict lands only on its owner's key", async () => {
    const mine = await client.putKey(owner, { provider: 'mistral', apiKey: 'mistralAAAAbbbbCCCCddddEEEE0021' });
    const before = (mine.body as SecretBody).secret.version;
    const theirs = await client.putKey(other, { provider: 'mistral', apiKey: 'mistralAAAAbbbbCCCCddddEEEE0022' });
    for (const last of ['0023', '0024', '0025']) {
      expect((await client.putKey(other, { provider: 'mistral', apiKey: `mistralAAAAbbbbCCCCddddEEEE${last}`, secretId: theirs.sent.secretId })).status).toBe(200);
    }
    const rotated = await client.putKey(owner, { provider: 'mistral', apiKey: 'mistralAAAAbbbbCCCCddddEEEE0026', secretId: mine.sent.secretId, ifMatch: `"${before}"` });
    expect(rotated.status).toBe(200);
    expect((rotated.body as SecretBody).secret.version).toBe(before + 1);

    // Another user's key, at a version number this user may reach too: a refusal recorded for this
    // user does not mark it.
    const theirVersion = server.db.prepare('SELECT version FROM secrets WHERE id = ?').pluck().get(theirs.sent.secretId) as number;
    expect(server.services.secretsStore.setStatus(owner.userId, theirs.sent.secretId, 'invalid', null, theirVersion)).toBe(false);
    expect(server.db.prepare('SELECT status FROM secrets WHERE id = ?').pluck().get(theirs.sent.secretId)).toBe('unverified');
    expect(server.services.secretsStore.setStatus(other.userId, theirs.sent.secretId, 'invalid', null, theirVersion)).toBe(true);
  });

  it("answers 404 for another user's id on PUT, PATCH and DELETE, and changes nothing", async () => {
    const mine = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY });
    const before = storedState(server);
    const put = await client.putKey(other, { provider: 'openai', apiKey: OPENAI_KEY, secretId: mine.sent.secretId });
    expect(put.status).toBe(404);
    expect((put.body as ErrorResponse).error.code).toBe('not_found');
    const patch = await client.request<ErrorResponse>('PATCH', `/v1/secrets/${mine.sent.secretId}`, { token: other.accessToken, body: { label: 'stolen' } });
    expect(patch.status).toBe(404);
    const del = await client.request<ErrorResponse>('DELETE', `/v1/secrets/${mine.sent.secretId}`, { token: other.accessToken });
    expect(del.status).toBe(404);
    expect(del.body.error.code).toBe('not_found');
    expect(storedState(server)).toEqual(before);
    const list = await client.request<{ secrets: { id: string }[] }>('GET', '/v1/secrets', { token: other.accessToken });
    expect(list.body.secrets.map((secret) => secret.id)).not.toContain(mine.sent.secretId);
  });

  it('patches label and default model', async () => {
    const mine = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY, defaultModel: 'gpt-4o' });
    const patched = await client.request<SecretBody>('PATCH', `/v1/secrets/${mine.sent.secretId}`, {
      token: owner.accessToken,
      body: { label: 'Renamed', defaultModel: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.secret).toMatchObject({ label: 'Renamed', defaultModel: null });
    const unknown = await client.request<ErrorResponse>('PATCH', `/v1/secrets/${mine.sent.secretId}`, { token: owner.accessToken, body: { provider: 'groq' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('provider');
  });

  it('deletes a key: 204, the row and every copy of its ciphertext are gone from the files', async () => {
    const doomed = await client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY });
    const ct = doomed.sent.sealed.ct;
    const response = await client.request('DELETE', `/v1/secrets/${doomed.sent.secretId}`, { token: owner.accessToken });
    expect(response.status).toBe(204);
    expect(server.db.prepare('SELECT COUNT(*) AS n FROM secrets WHERE id = ?').get(doomed.sent.secretId)).toEqual({ n: 0 });
    const again = await client.request('DELETE', `/v1/secrets/${doomed.sent.secretId}`, { token: owner.accessToken });
    expect(again.status).toBe(404);
    expectGoneFromFiles(server, ct);
  });

  it('reorders exactly the caller’s keys', async () => {
    const list = await client.request<{ secrets: { id: string; scope: string; position: number }[] }>('GET', '/v1/secrets', { token: owner.accessToken });
    const ids = list.body.secrets.filter((secret) => secret.scope === 'user').map((secret) => secret.id);
    const reversed = [...ids].reverse();
    const ordered = await client.request<{ secrets: { id: string; position: number }[] }>('PUT', '/v1/secrets/order', { token: owner.accessToken, body: { ids: reversed } });
    expect(ordered.status).toBe(200);
    expect(ordered.body.secrets.map((secret) => secret.id)).toEqual(reversed);
    expect(ordered.body.secrets.map((secret) => secret.position)).toEqual(reversed.map((_, index) => index));
    const partial = await client.request<ErrorResponse>('PUT', '/v1/secrets/order', { token: owner.accessToken, body: { ids: reversed.slice(1) } });
    expect(partial.status).toBe(409);
    const foreign = await client.request<ErrorResponse>('PUT', '/v1/secrets/order', { token: owner.accessToken, body: { ids: [...reversed.slice(1), randomUUID()] } });
    expect(foreign.status).toBe(409);
  });

  it('rejects malformed input with 400 and never stores it', async () => {
    const before = storedState(server);
    const good = await client.seal(owner, { provider: 'openai', apiKey: OPENAI_KEY });
    const base = { provider: 'openai', label: 'x', hint: good.hint, sealed: good.sealed };
    const cases: [string, string, unknown][] = [
      ['unknown field', good.secretId, { ...base, extra: true }],
      ['unknown provider', good.secretId, { ...base, provider: 'nope' }],
      ['wrong hint prefix', good.secretId, { ...base, hint: { prefix: 'gsk_', last4: '0001' } }],
      ['bad last4', good.secretId, { ...base, hint: { prefix: 'sk-proj-', last4: 'ab!' } }],
      ['short iv', good.secretId, { ...base, sealed: { ...good.sealed, iv: 'AAAA' } }],
      ['sealed v2', good.secretId, { ...base, sealed: { ...good.sealed, v: 2 } }],
      ['sealed extra', good.secretId, { ...base, sealed: { ...good.sealed, ct2: 'x' } }],
      ['base url on fixed host', good.secretId, { ...base, baseUrl: 'https://evil.example' }],
      ['uppercase id', good.secretId.toUpperCase(), base],
      ['not a uuid', 'abc', base],
      ['azure host', good.secretId, { ...base, provider: 'azure-openai', hint: { prefix: '', last4: '0001' }, baseUrl: 'https://evil.example.com' }],
      ['unnormalized url', good.secretId, { ...base, provider: 'ollama', hint: { prefix: '', last4: '' }, baseUrl: 'http://127.0.0.1:11434/' }],
      ['local url not allowed', good.secretId, { ...base, provider: 'ollama', hint: { prefix: '', last4: '' }, baseUrl: 'http://127.0.0.1:11434' }],
      ['builtin', good.secretId, { ...base, provider: 'builtin', hint: { prefix: '', last4: '' } }],
      ['array body', good.secretId, [base]],
      // The audit chain's canonical JSON cannot encode a lone surrogate: refused up front, not a 500.
      ['lone surrogate in label', good.secretId, { ...base, label: 'Work \ud800' }],
      ['lone surrogate in default model', good.secretId, { ...base, defaultModel: 'gpt-4o\udc00' }],
    ];
    for (const [name, id, body] of cases) {
      const response = await client.request<ErrorResponse>('PUT', `/v1/secrets/${id}`, { token: owner.accessToken, body });
      expect(response.status, name).toBe(400);
      expect(response.body.error.code, name).toBe('bad_request');
      expect(response.text, name).not.toContain(good.sealed.ct);
    }
    const named = await client.request<ErrorResponse>('PUT', `/v1/secrets/${good.secretId}`, { token: owner.accessToken, body: { ...base, surprise: 'sk-secret-value' } });
    expect(named.body.error.message).toContain('surprise');
    expect(named.body.error.message).not.toContain('sk-secret-value');
    expect(storedState(server)).toEqual(before);
  });

  it('writes key.stored, key.rotated and key.deleted with label and hint only', async () => {
    const fresh = await client.register();
    const put = await client.putKey(fresh, { provider: 'openai', apiKey: OPENAI_KEY, label: 'Audited' });
    await client.putKey(fresh, { provider: 'openai', apiKey: OPENAI_KEY, secretId: put.sent.secretId, label: 'Audited' });
    await client.request('DELETE', `/v1/secrets/${put.sent.secretId}`, { token: fresh.accessToken });
    const audit = await client.request<{ events: { action: string; target: string; provider?: string; detail: Record<string, unknown> }[] }>('GET', '/v1/audit', {
      token: fresh.accessToken,
    });
    const keyEvents = audit.body.events.filter((event) => event.action.startsWith('key.'));
    expect(keyEvents.map((event) => event.action)).toEqual(['key.deleted', 'key.rotated', 'key.stored']);
    for (const event of keyEvents) {
      expect(event.target).toBe(put.sent.secretId);
      expect(event.provider).toBe('openai');
      expect(event.detail).toEqual({ label: 'Audited', hint: { prefix: 'sk-proj-', last4: '0001' } });
    }
    expect(audit.text).not.toContain(put.sent.sealed.ct);
    expect(audit.text).not.toContain(put.sent.sealed.wrappedDek);
  });
});

describe('logs of the key routes', () => {
  it('never hold keys, seals, proofs or tokens', async () => {
    const server = await startTestServer();
    try {
      const client = new TestClient(server.baseUrl);
      const user = await client.register();
      const put = await client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY });
      await client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY, secretId: put.sent.secretId, ifMatch: '"9"' });
      await client.refresh(user);
      await client.request('PUT', `/v1/secrets/${put.sent.secretId}`, { token: user.accessToken, body: { sealed: put.sent.sealed, junk: OPENAI_KEY } });
      const logs = server.logs.join('\n');
      expect(server.logs.length).toBeGreaterThan(3);
      for (const secret of [OPENAI_KEY, put.sent.sealed.ct, put.sent.sealed.wrappedDek, user.accessToken, user.refreshToken, user.authProof]) {
        expect(logs).not.toContain(secret);
      }
    } finally {
      await server.close();
    }
  });
});

describe('plan and policy checks', () => {
  it('trial cannot store keys; private allows one provider; local base URLs need the policy', async () => {
    const server = await startTestServer({ env: { BYOK_DEFAULT_PLAN: 'trial' } });
    try {
      const client = new TestClient(server.baseUrl);
      const user = await client.register();
      const trial = await client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY });
      expect(trial.status).toBe(403);
      expect((trial.body as ErrorResponse).error.code).toBe('plan_limit');
      expect((trial.body as ErrorResponse).error.message).toMatch(/Private/);

      server.db.prepare("UPDATE orgs SET plan = 'private'").run();
      expect((await client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(201);
      expect((await client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(201);
      const second = await client.putKey(user, { provider: 'anthropic', apiKey: ANTHROPIC_KEY });
      expect(second.status).toBe(403);
      expect((second.body as ErrorResponse).error.code).toBe('plan_limit');
      expect((second.body as ErrorResponse).error.message).toMatch(/1 provider.*Private.*Pro/);
      const list = await client.request<{ secrets: { id: string }[] }>('GET', '/v1/secrets', { token: user.accessToken });
      const order = await client.request<ErrorResponse>('PUT', '/v1/secrets/order', { token: user.accessToken, body: { ids: list.body.secrets.map((secret) => secret.id) } });
      expect(order.status).toBe(403);
      expect(order.body.error.code).toBe('plan_limit');

      server.db.prepare("UPDATE orgs SET plan = 'pro', policy = ?").run(
        JSON.stringify({
          byokEnabled: true,
          providers: { groq: { byok: false, platform: true } },
          personalProviderLimit: null,
          providerOrder: true,
          platformFallback: 'auto',
          byokMetering: 'bypass',
          platformQuota: { monthlyCalls: 10, monthlyCostMicros: 10 },
          allowedBaseUrls: ['http://127.0.0.1:11434'],
          maxKeyAgeDays: null,
        }),
      );
      const groq = await client.putKey(user, { provider: 'groq', apiKey: 'gsk_AAAAbbbbCCCCddddEEEEffff0004' });
      expect(groq.status).toBe(403);
      expect((groq.body as ErrorResponse).error.code).toBe('provider_disabled');
      expect((await client.putKey(user, { provider: 'ollama', apiKey: 'local-token', baseUrl: 'http://127.0.0.1:11434' })).status).toBe(201);
      const elsewhere = await client.putKey(user, { provider: 'ollama', apiKey: 'local-token', baseUrl: 'http://127.0.0.1:9999' });
      expect(elsewhere.status).toBe(400);

      server.db.prepare("UPDATE orgs SET policy = json_set(policy, '$.byokEnabled', json('false'))").run();
      const off = await client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY });
      expect(off.status).toBe(403);
      expect((off.body as ErrorResponse).error.code).toBe('provider_disabled');
    } finally {
      await server.close();
    }
  });
});

describe('ids shared with other users and organization keys', () => {
  let harness: AdminHarness;
  let owner: TestUser;
  beforeAll(async () => {
    harness = await startAdminTestServer({ defaultPlan: 'business' });
    owner = await harness.client.register();
  });
  afterAll(() => harness.server.close());

  it("refuses a personal key on an organization key's id with 409 and stores nothing", async () => {
    const orgKey = await putOrgKey(harness, owner, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(orgKey.status).toBe(201);
    const member = await harness.client.register({ inviteCode: await harness.client.invite(owner, 'member') });
    const outsider = await createSecondOrg(harness, 'business');
    const before = storedState(harness.server);
    for (const user of [owner, member, outsider.admin]) {
      const put = await harness.client.putKey(user, { provider: 'openai', apiKey: OPENAI_KEY, secretId: orgKey.id });
      expect(put.status).toBe(409);
      expect((put.body as ErrorResponse).error.code).toBe('conflict');
    }
    expect(storedState(harness.server)).toEqual(before);
    expect(harness.server.db.prepare('SELECT COUNT(*) AS n FROM secrets WHERE id = ?').get(orgKey.id)).toEqual({ n: 0 });
  });

  it("answers 404 for another user's id even when the caller's plan or policy would refuse the key", async () => {
    const mine = await harness.client.putKey(owner, { provider: 'openai', apiKey: OPENAI_KEY });
    expect(mine.status).toBe(201);
    // Trial cannot store personal keys at all (plan_limit), yet the id is still someone else's.
    const trial = await createSecondOrg(harness, 'trial', 'Trial org');
    expect((await harness.client.putKey(trial.admin, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(403);
    const put = await harness.client.putKey(trial.admin, { provider: 'openai', apiKey: OPENAI_KEY, secretId: mine.sent.secretId });
    expect(put.status).toBe(404);
    expect((put.body as ErrorResponse).error.code).toBe('not_found');
    // An organization whose policy switches personal keys off: still 404, not provider_disabled.
    const closed = await createSecondOrg(harness, 'business', 'Closed org');
    harness.admin().policy.put(closed.orgId, CLI_ACTOR, { ...defaultPolicy('business'), byokEnabled: false });
    const before = storedState(harness.server);
    const refused = await harness.client.putKey(closed.admin, { provider: 'openai', apiKey: OPENAI_KEY });
    expect((refused.body as ErrorResponse).error.code).toBe('provider_disabled');
    const disabled = await harness.client.putKey(closed.admin, { provider: 'openai', apiKey: OPENAI_KEY, secretId: mine.sent.secretId });
    expect(disabled.status).toBe(404);
    expect((disabled.body as ErrorResponse).error.code).toBe('not_found');
    expect(storedState(harness.server)).toEqual(before);
  });
});
