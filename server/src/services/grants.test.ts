// Grants end to end over HTTP through a test-only route that consumes them (the real consumers,
// /v1/enrich and verify, come with the enrichment issue): every rejection has its API.md code,
// nothing is decrypted for a bad grant, replays are refused also after a restart.
import { Router } from 'express';
import { CompactEncrypt, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { unwrapDek } from '@byok/shared';
import { b64urlEncode, randomBytes } from '@byok/shared/crypto/bytes';
import type { GrantKeySet } from '@byok/shared';
import type { RouteMount } from '../app';
import type * as SealedModule from '../crypto/sealed';
import { principalOf } from './principal';
import { startTestServer } from '../testing/test-server';
import type { TestServer } from '../testing/test-server';
import { TestClient } from '../testing/client';
import type { TestUser } from '../testing/client';

type ErrorResponse = { error: { code: string; message: string } };
type OpenedResponse = { keys: { secretId: string; provider: string; apiKey: string }[] };

// Counts the sealed keys GrantsService really opens: the real function runs, and a success is
// counted, so "decrypts nothing" holds of the service itself, refusals included (a refusal that
// came after an opening would count it).
const sealed = vi.hoisted(() => ({ opened: 0 }));
vi.mock('../crypto/sealed', async (importOriginal) => {
  const real = await importOriginal<typeof SealedModule>();
  return {
    ...real,
    openSealedSync: (...args: Parameters<typeof real.openSealedSync>) => {
      const apiKey = real.openSealedSync(...args);
      sealed.opened += 1;
      return apiKey;
    },
  };
});

const testConsumer: RouteMount = (context) => {
  const router = Router();
  router.post('/test/consume/:purpose', context.requireAuth, async (request, response) => {
    const purpose = request.params['purpose'] === 'verify' ? 'verify' : 'enrich';
    const body = request.body as { grants: string[] };
    const keys = await context.services.grants.openGrants(principalOf(request), body.grants, purpose);
    try {
      response.json({ keys: keys.list().map(({ secretId, provider, baseUrl, version, apiKey }) => ({ secretId, provider, baseUrl, version, apiKey })) });
    } finally {
      keys.dispose();
    }
  });
  return router;
};

const KEY_A = 'sk-proj-GRANTgrantGRANTgrant00001';
const KEY_B = 'sk-ant-GRANTgrantGRANTgrant000002';

async function rawGrant(keySet: GrantKeySet, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  const jwk = keySet.keys.find((key) => key.crv === 'X25519');
  if (!jwk) throw new Error('no X25519 key');
  const publicKey = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'ECDH-ES+A256KW');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: jwk.kid, typ: 'byok-grant+jwt', ...header })
    .encrypt(publicKey);
}

describe('grants', () => {
  let server: TestServer;
  let client: TestClient;
  let user: TestUser;
  let other: TestUser;
  let keyA: string;
  let keyB: string;
  let otherKey: string;
  let keySet: GrantKeySet;

  beforeAll(async () => {
    server = await startTestServer({ openSignup: true, mounts: [testConsumer] });
    client = new TestClient(server.baseUrl);
    user = await client.register();
    other = await client.register();
    keyA = (await client.putKey(user, { provider: 'openai', apiKey: KEY_A })).sent.secretId;
    keyB = (await client.putKey(user, { provider: 'anthropic', apiKey: KEY_B })).sent.secretId;
    otherKey = (await client.putKey(other, { provider: 'openai', apiKey: KEY_A })).sent.secretId;
    keySet = await client.grantKeys();
  });
  afterAll(() => server.close());

  async function consume(grants: string[], purpose = 'enrich', as: TestUser = user) {
    const before = sealed.opened;
    const response = await client.request<OpenedResponse & ErrorResponse>('POST', `/test/consume/${purpose}`, { token: as.accessToken, body: { grants } });
    return { ...response, decrypted: sealed.opened - before };
  }

  async function dekOf(owner: TestUser, secretId: string): Promise<Uint8Array> {
    const wrapped = (server.db.prepare('SELECT wrapped_dek AS w FROM secrets WHERE id = ?').get(secretId) as { w: string }).w;
    return unwrapDek(owner.kek, wrapped);
  }

  function claims(overrides: Record<string, unknown> = {}, dek?: Uint8Array): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: user.userId,
      aud: keySet.audience,
      sid: keyA,
      dek: dek === undefined ? undefined : b64urlEncode(dek),
      jti: b64urlEncode(randomBytes(16)),
      iat: now,
      exp: now + 60,
      pur: 'enrich',
      ...overrides,
    };
  }

  it('publishes X25519 and P-256 keys, newest first, with the audience', async () => {
    expect(keySet.audience).toBe(`byok-companion:${server.services.identity.serverId}`);
    expect(keySet.keys.map((key) => key.crv)).toEqual(['X25519', 'P-256']);
    for (const key of keySet.keys) {
      expect(key).toMatchObject({ use: 'enc', alg: 'ECDH-ES+A256KW' });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('opens good grants for several keys and releases their plaintext', async () => {
    const grants = [await client.grant(user, keyA, { keySet }), await client.grant(user, keyB, { keySet })];
    const response = await consume(grants);
    expect(response.status).toBe(200);
    expect(response.body.keys).toEqual([
      { secretId: keyA, provider: 'openai', baseUrl: '', version: 1, apiKey: KEY_A },
      { secretId: keyB, provider: 'anthropic', baseUrl: '', version: 2, apiKey: KEY_B },
    ]);
    const rows = server.db.prepare('SELECT COUNT(*) AS n FROM grant_jti').get() as { n: number };
    expect(rows.n).toBeGreaterThanOrEqual(2);
  });

  it('releases a key with the base URL and version of the row it was opened from', async () => {
    // Routing and verify send the key where this row was sealed for, and a provider's verdict lands
    // on this version only, whatever the row says by the time the call is made.
    const first = await client.putKey(user, { provider: 'groq', apiKey: 'gsk_GRANTgrantGRANTgrant000003' });
    const secretId = first.sent.secretId;
    const rotated = await client.putKey(user, { provider: 'groq', apiKey: 'gsk_GRANTgrantGRANTgrant000004', secretId });
    expect([first.status, rotated.status]).toEqual([201, 200]);
    const version = (rotated.body as { secret: { version: number } }).secret.version;
    expect(version).toBeGreaterThan((first.body as { secret: { version: number } }).secret.version);
    const response = await consume([await client.grant(user, secretId, { keySet })]);
    expect(response.body.keys).toEqual([{ secretId, provider: 'groq', baseUrl: '', version, apiKey: 'gsk_GRANTgrantGRANTgrant000004' }]);
  });

  it('also accepts a grant to the P-256 key', async () => {
    const p256Only: GrantKeySet = { audience: keySet.audience, keys: keySet.keys.filter((key) => key.crv === 'P-256') };
    const response = await consume([await client.grant(user, keyA, { keySet: p256Only })]);
    expect(response.status).toBe(200);
  });

  it('refuses a replay (409, audited) and remembers it across a restart', async () => {
    const grant = await client.grant(user, keyA, { keySet });
    expect((await consume([grant])).status).toBe(200);
    const replay = await consume([grant]);
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('grant_replayed');
    expect(replay.decrypted).toBe(0);
    await server.restart();
    client = new TestClient(server.baseUrl);
    const afterRestart = await consume([grant]);
    expect(afterRestart.status).toBe(409);
    expect(afterRestart.body.error.code).toBe('grant_replayed');
    const audit = await client.request<{ events: { action: string; target: string }[] }>('GET', '/v1/audit', { token: user.accessToken });
    expect(audit.body.events.filter((event) => event.action === 'grant.replayed').length).toBeGreaterThanOrEqual(2);
    // The grant keys survived the restart: the same key set still works.
    expect((await consume([await client.grant(user, keyA, { keySet })])).status).toBe(200);
  });

  it('fails the whole request for one bad grant and records none of the good ones', async () => {
    const good = await client.grant(user, keyA, { keySet });
    const bad = await client.grant(user, keyB, { keySet, purpose: 'verify' });
    const response = await consume([good, bad]);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('grant_invalid');
    expect(response.decrypted).toBe(0);
    // The good grant was not used up.
    expect((await consume([good])).status).toBe(200);
  });

  it('refuses the same grant twice in one request', async () => {
    const grant = await client.grant(user, keyA, { keySet });
    const response = await consume([grant, grant]);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('grant_replayed');
  });

  it('maps each bad grant to its code and decrypts nothing', async () => {
    const dek = await dekOf(user, keyA);
    const otherDek = await dekOf(other, otherKey);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Promise<string> | string, number, string][] = [
      ['wrong purpose', client.grant(user, keyA, { keySet, purpose: 'verify' }), 400, 'grant_invalid'],
      ['expired', client.grant(user, keyA, { keySet, now: now - 400, lifetimeSeconds: 60 }), 401, 'grant_expired'],
      ['lifetime over 300', rawGrant(keySet, {}, claims({ iat: now, exp: now + 301 }, dek)), 400, 'grant_invalid'],
      ['iat in the future', rawGrant(keySet, {}, claims({ iat: now + 120, exp: now + 180 }, dek)), 400, 'grant_invalid'],
      ['wrong audience', rawGrant(keySet, {}, claims({ aud: 'byok-companion:someone-else' }, dek)), 400, 'grant_invalid'],
      ['sub not the caller', rawGrant(keySet, {}, claims({ sub: other.userId }, dek)), 400, 'grant_invalid'],
      ['sid of another user', rawGrant(keySet, {}, claims({ sid: otherKey }, otherDek)), 400, 'grant_invalid'],
      ['sid unknown', rawGrant(keySet, {}, claims({ sid: crypto.randomUUID() }, dek)), 400, 'grant_invalid'],
      ['wrong dek for the ct', rawGrant(keySet, {}, claims({}, randomBytes(32))), 400, 'grant_invalid'],
      ['unknown kid', rawGrant(keySet, { kid: 'not-a-published-kid' }, claims({}, dek)), 400, 'grant_invalid'],
      ['wrong typ', rawGrant(keySet, { typ: 'JWT' }, claims({}, dek)), 400, 'grant_invalid'],
      ['wrong enc', rawGrant(keySet, { enc: 'A128GCM' }, claims({}, dek)), 400, 'grant_invalid'],
      ['ECDH-ES direct', rawGrant(keySet, { alg: 'ECDH-ES' }, claims({}, dek)), 400, 'grant_invalid'],
      ['not a JWE', 'abc.def.ghi', 400, 'grant_invalid'],
      ['dir alg', `${b64urlEncode(new TextEncoder().encode(JSON.stringify({ alg: 'dir', enc: 'A256GCM', typ: 'byok-grant+jwt', kid: keySet.keys[0]?.kid })))}..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`, 400, 'grant_invalid'],
    ];
    for (const [name, grant, status, code] of cases) {
      const response = await consume([await grant]);
      expect(response.status, name).toBe(status);
      expect(response.body.error.code, name).toBe(code);
      expect(response.decrypted, name).toBe(0);
      expect(response.text, name).not.toContain(KEY_A);
    }
  });

  it('checks every grant\'s claims before any sid: an expired grant after one for an unknown key is 401', async () => {
    const dek = await dekOf(user, keyA);
    const now = Math.floor(Date.now() / 1000);
    const unknownKey = await rawGrant(keySet, {}, claims({ sid: crypto.randomUUID() }, dek));
    const expired = await client.grant(user, keyA, { keySet, now: now - 400, lifetimeSeconds: 60 });
    const response = await consume([unknownKey, expired]);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('grant_expired');
  });

  it("refuses a grant for the user's key sent by another user", async () => {
    const grant = await client.grant(user, keyA, { keySet });
    const response = await consume([grant], 'enrich', other);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('grant_invalid');
    expect((await consume([grant])).status).toBe(200);
  });

  it('refuses more than 8 grants', async () => {
    const grants = await Promise.all(Array.from({ length: 9 }, () => client.grant(user, keyA, { keySet })));
    const response = await consume(grants);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('bad_request');
  });

  it('purges only expired jtis', () => {
    const now = Math.floor(Date.now() / 1000);
    server.db.prepare('INSERT INTO grant_jti (jti, exp) VALUES (?, ?), (?, ?)').run('old-jti', now - 3600, 'live-jti', now + 3600);
    server.services.grants.purgeExpired();
    const left = (server.db.prepare("SELECT jti FROM grant_jti WHERE jti IN ('old-jti', 'live-jti')").all() as { jti: string }[]).map((row) => row.jti);
    expect(left).toEqual(['live-jti']);
  });

  it('never logs grants or keys', () => {
    const logs = server.logs.join('\n');
    expect(logs).not.toContain(KEY_A);
    expect(logs).not.toContain(KEY_B);
    expect(logs).not.toMatch(/eyJhbGciOiJFQ0RILUVT/);
  });
});
