// Accounts over real HTTP: registration rules, login that does not reveal unknown emails,
// refresh rotation with reuse detection, logout, passphrase change and the access-token checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, base64url } from 'jose';
import { newKdfParams, deriveAccountKeys } from '@byok/shared';
import { startTestServer } from '../../testing/test-server';
import type { TestServer } from '../../testing/test-server';
import { TestClient, uniqueEmail } from '../../testing/client';
import type { TestUser } from '../../testing/client';

type ErrorResponse = { error: { code: string; message: string } };

function counts(server: TestServer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const table of ['orgs', 'users', 'invites', 'refresh_tokens', 'auth_families', 'audit_events', 'secrets']) {
    out[table] = (server.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  }
  return out;
}

describe('registration', () => {
  let server: TestServer;
  let client: TestClient;
  let owner: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    client = new TestClient(server.baseUrl);
    owner = await client.register();
  });
  afterAll(() => server.close());

  it('makes the first user the owner of a new default organization on the default plan', async () => {
    expect(owner.role).toBe('owner');
    const me = await client.request<{ user: { id: string; email: string; role: string }; org: { plan: string }; policy: { byokEnabled: boolean } }>(
      'GET',
      '/v1/me',
      { token: owner.accessToken },
    );
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({ id: owner.userId, email: owner.email, role: 'owner' });
    expect(me.body.org.plan).toBe('pro');
    expect(me.body.policy.byokEnabled).toBe(true);
  });

  it('refuses a second registration without an invite, with a wrong one, and changes nothing', async () => {
    const before = counts(server);
    const none = await client.tryRegister();
    expect(none.status).toBe(403);
    expect((none.body as ErrorResponse).error.code).toBe('forbidden');
    const wrong = await client.tryRegister({ inviteCode: 'not-a-real-invite-code' });
    expect(wrong.status).toBe(403);
    expect((wrong.body as ErrorResponse).error.code).toBe('forbidden');
    expect(counts(server)).toEqual(before);
  });

  it('accepts an invite once, with its role', async () => {
    const code = await client.invite(owner, 'admin');
    const admin = await client.register({ inviteCode: code });
    expect(admin.role).toBe('admin');
    expect(admin.orgId).toBe(owner.orgId);
    const again = await client.tryRegister({ inviteCode: code });
    expect(again.status).toBe(403);
    expect((again.body as ErrorResponse).error.code).toBe('forbidden');
  });

  it('refuses an expired invite', async () => {
    const code = await client.invite(owner, 'member', 1);
    server.db.prepare("UPDATE invites SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL").run();
    const response = await client.tryRegister({ inviteCode: code });
    expect(response.status).toBe(403);
    expect((response.body as ErrorResponse).error.code).toBe('forbidden');
  });

  it('lets members not invite, and refuses owner invites', async () => {
    const member = await client.register({ inviteCode: await client.invite(owner, 'member') });
    expect(member.role).toBe('member');
    const denied = await client.request<ErrorResponse>('POST', '/v1/admin/invites', { token: member.accessToken, body: { role: 'member' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    const ownerInvite = await client.request<ErrorResponse>('POST', '/v1/admin/invites', { token: owner.accessToken, body: { role: 'owner' } });
    expect(ownerInvite.status).toBe(400);
    expect(ownerInvite.body.error.code).toBe('bad_request');
  });

  it('answers 409 for a taken email, whatever its case and spacing', async () => {
    const code = await client.invite(owner);
    const before = counts(server);
    const taken = await client.tryRegister({ email: `  ${owner.email.toUpperCase()} `, inviteCode: code });
    expect(taken.status).toBe(409);
    expect((taken.body as ErrorResponse).error.code).toBe('conflict');
    expect(counts(server)).toEqual(before);
    // The invite was not used up by the failed attempt.
    expect((await client.tryRegister({ inviteCode: code })).status).toBe(201);
  });

  it('rejects weak or foreign KDF parameters with 400', async () => {
    const weak = { ...newKdfParams(), iterations: 100_000 };
    for (const kdf of [weak, { ...newKdfParams(), name: 'scrypt' }, { ...newKdfParams(), salt: 'AAAA' }, { ...newKdfParams(), extra: 1 }]) {
      const response = await client.request<ErrorResponse>('POST', '/v1/auth/register', {
        body: { email: uniqueEmail(), authProof: owner.authProof, kdf },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
    }
  });
});

describe('open sign-up', () => {
  it('puts newcomers in the default organization as members', async () => {
    const server = await startTestServer({ env: { BYOK_OPEN_SIGNUP: 'true', BYOK_DEFAULT_PLAN: 'business' } });
    try {
      const client = new TestClient(server.baseUrl);
      const owner = await client.register();
      const member = await client.register();
      expect(owner.role).toBe('owner');
      expect(member.role).toBe('member');
      expect(member.orgId).toBe(owner.orgId);
      const me = await client.request<{ org: { plan: string } }>('GET', '/v1/me', { token: member.accessToken });
      expect(me.body.org.plan).toBe('business');
    } finally {
      await server.close();
    }
  });
});

describe('login and sessions', () => {
  let server: TestServer;
  let client: TestClient;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer({ openSignup: true });
    client = new TestClient(server.baseUrl);
    await client.register();
    user = await client.register();
  });
  afterAll(() => server.close());

  it('logs in with the derived proof and audits it', async () => {
    const response = await client.login(user);
    expect(response.status).toBe(200);
    const audit = await client.request<{ events: { action: string }[] }>('GET', '/v1/audit', { token: user.accessToken });
    expect(audit.body.events.map((event) => event.action)).toContain('auth.login');
  });

  it('answers an unknown email exactly like a wrong proof', async () => {
    const wrongProof = await client.request<ErrorResponse>('POST', '/v1/auth/login', {
      body: { email: user.email, authProof: base64url.encode(new Uint8Array(32).fill(7)) },
    });
    const unknown = await client.request<ErrorResponse>('POST', '/v1/auth/login', {
      body: { email: uniqueEmail('ghost'), authProof: base64url.encode(new Uint8Array(32).fill(7)) },
    });
    expect(wrongProof.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe(wrongProof.text);
    expect(unknown.body.error.code).toBe('invalid_credentials');
    const audit = await client.request<{ events: { action: string }[] }>('GET', '/v1/audit', { token: user.accessToken });
    expect(audit.body.events.map((event) => event.action)).toContain('auth.login_failed');
  });

  it('gives unknown emails a stable, plausible pre-login answer', async () => {
    const ghost = uniqueEmail('ghost');
    const first = await client.request<{ kdf: { name: string; iterations: number; salt: string } }>('POST', '/v1/auth/prelogin', { body: { email: ghost } });
    const again = await client.request<{ kdf: { salt: string } }>('POST', '/v1/auth/prelogin', { body: { email: ` ${ghost.toUpperCase()}` } });
    const other = await client.request<{ kdf: { salt: string } }>('POST', '/v1/auth/prelogin', { body: { email: uniqueEmail('ghost') } });
    expect(first.status).toBe(200);
    expect(first.body.kdf.name).toBe('PBKDF2-SHA256');
    expect(first.body.kdf.iterations).toBe(600_000);
    expect(base64url.decode(first.body.kdf.salt)).toHaveLength(16);
    expect(again.body.kdf.salt).toBe(first.body.kdf.salt);
    expect(other.body.kdf.salt).not.toBe(first.body.kdf.salt);
    const known = await client.request<{ kdf: unknown }>('POST', '/v1/auth/prelogin', { body: { email: user.email } });
    expect(Object.keys(known.body.kdf as object).sort()).toEqual(Object.keys(first.body.kdf).sort());
    // Stable across a restart too: the secret lives in the data directory.
    await server.restart();
    client = new TestClient(server.baseUrl);
    const afterRestart = await client.request<{ kdf: { salt: string } }>('POST', '/v1/auth/prelogin', { body: { email: ghost } });
    expect(afterRestart.body.kdf.salt).toBe(first.body.kdf.salt);
  });

  it('rotates refresh tokens and revokes the family when a used one comes back', async () => {
    await client.login(user);
    const original = user.refreshToken;
    const first = await client.refresh(user);
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(original);
    const rotatedAccess = user.accessToken;
    expect((await client.request('GET', '/v1/me', { token: rotatedAccess })).status).toBe(200);

    const reuse = await client.request<ErrorResponse>('POST', '/v1/auth/refresh', { body: { refreshToken: original } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('unauthenticated');
    // The whole family is gone: the newest refresh token and its access token too.
    const newest = await client.request<ErrorResponse>('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(newest.status).toBe(401);
    expect((await client.request('GET', '/v1/me', { token: rotatedAccess })).status).toBe(401);
  });

  it('lets exactly one of two concurrent refreshes with one token win, then revokes the family', async () => {
    await client.login(user);
    const token = user.refreshToken;
    const [a, b] = await Promise.all([
      client.request<{ refreshToken: string }>('POST', '/v1/auth/refresh', { body: { refreshToken: token } }),
      client.request<{ refreshToken: string }>('POST', '/v1/auth/refresh', { body: { refreshToken: token } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const winner = a.status === 200 ? a : b;
    const next = await client.request('POST', '/v1/auth/refresh', { body: { refreshToken: winner.body.refreshToken } });
    expect(next.status).toBe(401);
  });

  it('logout revokes the session family only', async () => {
    const other = { ...user };
    await client.login(user);
    await client.login(other);
    const out = await client.request('POST', '/v1/auth/logout', { token: user.accessToken });
    expect(out.status).toBe(204);
    expect((await client.request('GET', '/v1/me', { token: user.accessToken })).status).toBe(401);
    expect((await client.refresh(user)).status).toBe(401);
    expect((await client.request('GET', '/v1/me', { token: other.accessToken })).status).toBe(200);
  });

  it('refuses tokens that are not EdDSA tokens of this server', async () => {
    await client.login(user);
    const [header, payload] = user.accessToken.split('.');
    const noneHeader = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const hs256 = await new SignJWT(JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ''))) as Record<string, unknown>)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32));
    const tampered = `${header}.${base64url.encode(JSON.stringify({ sub: user.userId, role: 'owner' }))}.${user.accessToken.split('.')[2]}`;
    for (const token of [`${noneHeader}.${payload}.`, hs256, tampered, 'garbage', '']) {
      const response = await client.request<ErrorResponse>('GET', '/v1/me', { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthenticated');
    }
    expect((await client.request('GET', '/v1/me')).status).toBe(401);
    // A token of this server, correctly signed, but past its 15 minutes.
    const family = (server.db.prepare('SELECT id FROM auth_families WHERE user_id = ? AND revoked_at IS NULL LIMIT 1').get(user.userId) as { id: string }).id;
    const claims = { userId: user.userId, orgId: user.orgId, role: 'member' as const, familyId: family };
    const expired = await server.services.tokens.signAccessToken(claims, Math.floor(Date.now() / 1000) - 16 * 60);
    expect((await client.request('GET', '/v1/me', { token: expired })).status).toBe(401);
    const fresh = await server.services.tokens.signAccessToken(claims);
    expect((await client.request('GET', '/v1/me', { token: fresh })).status).toBe(200);
  });

  it('rejects the tokens of a deleted user', async () => {
    const doomed = await client.register();
    server.db.prepare('DELETE FROM users WHERE id = ?').run(doomed.userId);
    expect((await client.request('GET', '/v1/me', { token: doomed.accessToken })).status).toBe(401);
    expect((await client.refresh(doomed)).status).toBe(401);
  });
});

describe('passphrase change', () => {
  it('replaces KDF, proof and every wrapped key atomically, or nothing with 409', async () => {
    const server = await startTestServer();
    try {
      const client = new TestClient(server.baseUrl);
      const user = await client.register();
      const a = await client.putKey(user, { provider: 'openai', apiKey: 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa1111' });
      const b = await client.putKey(user, { provider: 'anthropic', apiKey: 'sk-ant-bbbbbbbbbbbbbbbbbbbbbbbbbbbbb2222' });
      const newKdf = newKdfParams();
      const next = await deriveAccountKeys('a brand new passphrase', newKdf);
      const rewrapped = [
        { id: a.sent.secretId, wrappedDek: base64url.encode(new Uint8Array(40).fill(1)) },
        { id: b.sent.secretId, wrappedDek: base64url.encode(new Uint8Array(40).fill(2)) },
      ];
      const snapshot = () => server.db.prepare('SELECT id, wrapped_dek FROM secrets ORDER BY id').all();
      const userRow = () => server.db.prepare('SELECT kdf, auth_hash FROM users WHERE id = ?').get(user.userId);
      const before = { secrets: snapshot(), user: userRow() };

      const missing = await client.request<ErrorResponse>('PUT', '/v1/auth/passphrase', {
        token: user.accessToken,
        body: { kdf: newKdf, authProof: user.authProof, newAuthProof: next.authProof, rewrapped: rewrapped.slice(0, 1) },
      });
      expect(missing.status).toBe(409);
      expect(missing.body.error.code).toBe('conflict');
      const foreign = await client.request<ErrorResponse>('PUT', '/v1/auth/passphrase', {
        token: user.accessToken,
        body: { kdf: newKdf, authProof: user.authProof, newAuthProof: next.authProof, rewrapped: [...rewrapped.slice(0, 1), { ...rewrapped[1], id: crypto.randomUUID() }] },
      });
      expect(foreign.status).toBe(409);
      expect({ secrets: snapshot(), user: userRow() }).toEqual(before);

      const ok = await client.request('PUT', '/v1/auth/passphrase', {
        token: user.accessToken,
        body: { kdf: newKdf, authProof: user.authProof, newAuthProof: next.authProof, rewrapped },
      });
      expect(ok.status).toBe(204);
      const rows = server.db.prepare('SELECT id, wrapped_dek AS w FROM secrets').all() as { id: string; w: string }[];
      expect(Object.fromEntries(rows.map((row) => [row.id, row.w]))).toEqual(Object.fromEntries(rewrapped.map((entry) => [entry.id, entry.wrappedDek])));
      const oldLogin = await client.request('POST', '/v1/auth/login', { body: { email: user.email, authProof: user.authProof } });
      expect(oldLogin.status).toBe(401);
      const pre = await client.request<{ kdf: unknown }>('POST', '/v1/auth/prelogin', { body: { email: user.email } });
      expect(pre.body.kdf).toEqual(newKdf);
      const newLogin = await client.request('POST', '/v1/auth/login', { body: { email: user.email, authProof: next.authProof } });
      expect(newLogin.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses a re-wrap listed before a rotation (409, nothing changes), so no key is left with another data key than its own', async () => {
    const server = await startTestServer();
    try {
      const client = new TestClient(server.baseUrl);
      const user = await client.register();
      const first = await client.putKey(user, { provider: 'openai', apiKey: 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa3333' });
      const id = first.sent.secretId;
      const listed = (first.body as { secret: { version: number } }).secret.version;
      // This device lists the key and re-wraps its data key; another device rotates the key meanwhile.
      const rotated = await client.putKey(user, { provider: 'openai', apiKey: 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa4444', secretId: id });
      expect(rotated.status).toBe(200);
      const current = (rotated.body as { secret: { version: number } }).secret.version;
      const newKdf = newKdfParams();
      const next = await deriveAccountKeys('another new passphrase', newKdf);
      const change = (version: number) =>
        client.request<ErrorResponse>('PUT', '/v1/auth/passphrase', {
          token: user.accessToken,
          body: { kdf: newKdf, authProof: user.authProof, newAuthProof: next.authProof, rewrapped: [{ id, wrappedDek: base64url.encode(new Uint8Array(40).fill(3)), version }] },
        });
      const before = server.db.prepare('SELECT wrapped_dek, ct, version FROM secrets WHERE id = ?').get(id);
      const stale = await change(listed);
      expect(stale.status).toBe(409);
      expect(stale.body.error).toEqual({ code: 'conflict', message: 'A key changed meanwhile (version mismatch): list your keys again and re-wrap them.' });
      expect(server.db.prepare('SELECT wrapped_dek, ct, version FROM secrets WHERE id = ?').get(id)).toEqual(before);
      expect((await client.request('POST', '/v1/auth/login', { body: { email: user.email, authProof: user.authProof } })).status).toBe(200);
      // Listed again, at the version it has now: applied, and the re-wrap takes no new version (same key).
      expect((await change(current)).status).toBe(204);
      expect(server.db.prepare('SELECT version FROM secrets WHERE id = ?').get(id)).toEqual({ version: current });
    } finally {
      await server.close();
    }
  });
});
