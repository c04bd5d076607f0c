// POST /v1/enrich through the real companion and the emulator: receipts, fallback on 5xx, on a
// refused connection and past a Gemini recitation (its prompt billed), stop on a rejected key
// without platform fallback, platform quota, idempotent replay billed once, builtin, limits; then
// usage, CSV, verify and /metrics; the leak canary last.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { costMicros, createOrgUploadGrant, findModel } from '@byok/shared';
import { defaultPolicy } from '@byok/shared/plans/policy';
import type { EnrichResponse } from '@byok/shared/wire/enrich';
import type { UsageResponse } from '@byok/shared/wire/usage';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrgSecretsService } from '../../server/src/services/admin/org-secrets';
import { OrgSecretsStore } from '../../server/src/services/admin/org-secrets-store';
import { estimateEnrichmentTokens } from '../../server/src/enrichment/run-enrichment';
import { CSV_PAGE_ROWS } from '../../server/src/http/routes/usage';
import { UsageStore } from '../../server/src/store/usage-store';
import { countTokens } from '../emulator/content';
import type { SealedKey } from '../../server/src/testing/client';
import { closedPort, startHarness, type Harness } from './harness';

const TEXT = 'Grace Hopper wrote the first compiler. She worked at Harvard University.\n\nThe compiler changed programming forever.';
type ErrorBody = { error: { code: string; message: string } };

let h: Harness;
let refusedPort: number;

beforeAll(async () => {
  refusedPort = await closedPort();
  h = await startHarness({ platform: ['groq', 'google'], extraBaseUrls: { mistral: `http://127.0.0.1:${refusedPort}/v1` } });
});
afterAll(async () => {
  await h.assertNoLeaks();
  await h.close();
});

function usageRows(requestId?: string): Array<{ provider: string; source: string; outcome: string; request_id: string; cost_micros: number }> {
  const sql = requestId === undefined ? 'SELECT * FROM usage_events ORDER BY rowid' : 'SELECT * FROM usage_events WHERE request_id = ? ORDER BY rowid';
  const statement = h.server.db.prepare(sql);
  return (requestId === undefined ? statement.all() : statement.all(requestId)) as ReturnType<typeof usageRows>;
}

function deleteAllKeys(): void {
  h.server.db.prepare('DELETE FROM secrets').run();
}

function enrich(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.request<EnrichResponse & ErrorBody>('POST', '/v1/enrich', { body: { task: 'summary', input: { kind: 'selection', text: TEXT }, ...body }, headers });
}

/** A pro plan's policy with this platform quota, and no platform usage on record this month. */
function startPlatformQuota(platformQuota: ReturnType<typeof defaultPolicy>['platformQuota']): void {
  h.server.db.prepare('UPDATE orgs SET policy = ?').run(JSON.stringify({ ...defaultPolicy('pro'), platformQuota }));
  h.server.db.prepare("DELETE FROM usage_events WHERE source = 'platform'").run();
}

describe('routing through POST /v1/enrich', () => {
  it('summarizes with a personal key and answers a receipt with exact usage and cost', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const { secretId } = await h.addKey('openai');
    const response = await enrich({ grants: [await h.grant(secretId)] });
    expect(response.status).toBe(200);
    expect(response.body.summary).toBe('Grace Hopper wrote the first compiler. The compiler changed programming forever.');
    expect(response.body.route).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', source: 'byok', secretId });
    expect(response.body.route.attempts).toEqual([{ provider: 'openai', source: 'byok', outcome: 'ok', ms: expect.any(Number) }]);
    const sent = JSON.parse(h.emulator.requests[0]?.body ?? '{}') as { messages: Array<{ content: string }> };
    const inputTokens = sent.messages.reduce((sum, message) => sum + countTokens(message.content), 0);
    const outputTokens = countTokens(response.body.summary ?? '');
    expect(response.body.usage).toEqual({ inputTokens, outputTokens, costMicros: costMicros('openai', 'gpt-4o-mini', inputTokens, outputTokens), calls: 1 });
    expect(response.headers.get('x-request-id')).toBe(response.body.requestId);
    expect(usageRows(response.body.requestId)).toHaveLength(1);
  });

  it('falls back past a 5xx and a refused connection, recording every attempt', async () => {
    deleteAllKeys();
    const anthropic = await h.addKey('anthropic');
    const mistral = await h.addKey('mistral');
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ provider: 'anthropic' }, { serverError: 503, echoKeyInError: true });
    const grants = await Promise.all([anthropic, mistral, openai].map((key) => h.grant(key.secretId)));
    const response = await enrich({ grants });
    h.emulator.setBehavior({ provider: 'anthropic' }, null);
    expect(response.status).toBe(200);
    expect(response.body.route.source).toBe('byok');
    expect(response.body.route.secretId).toBe(openai.secretId);
    expect(response.body.route.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
      ['anthropic', 'unreachable'],
      ['mistral', 'unreachable'],
      ['openai', 'ok'],
    ]);
    expect(usageRows(response.body.requestId).map((row) => row.outcome)).toEqual(['unreachable', 'unreachable', 'ok']);
  });

  it('moves on after 429 and marks personal keys without a grant as skipped', async () => {
    deleteAllKeys();
    const skipped = await h.addKey('anthropic');
    const limited = await h.addKey('groq');
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ key: limited.key }, { rateLimit: { retryAfterSeconds: 3 } });
    const response = await enrich({ grants: [await h.grant(limited.secretId), await h.grant(openai.secretId)] });
    expect(response.status).toBe(200);
    expect(response.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.outcome}`)).toEqual(['anthropic:skipped', 'groq:rate_limited', 'openai:ok']);
    expect(skipped.secretId).not.toBe(response.body.route.secretId);
  });

  it('moves on past a Gemini answer stopped for RECITATION before any text, its billed prompt recorded', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const google = await h.addKey('google');
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ provider: 'google' }, { recite: true });
    const response = await enrich({ grants: [await h.grant(google.secretId), await h.grant(openai.secretId)] });
    h.emulator.setBehavior({ provider: 'google' }, null);
    expect(response.status).toBe(200);
    expect(response.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.outcome}`)).toEqual(['google:unreachable', 'openai:ok']);
    const billed = h.emulator.reportedUsage.find((usage) => usage.provider === 'google');
    expect(billed?.inputTokens).toBeGreaterThan(0);
    const [recited] = usageRows(response.body.requestId);
    expect(recited).toMatchObject({ provider: 'google', outcome: 'unreachable', input_tokens: billed?.inputTokens, output_tokens: 0 });
  });

  it('answers Retry-After with the shortest wait when every provider was rate-limited and said for how long', async () => {
    deleteAllKeys();
    const groq = await h.addKey('groq');
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ key: groq.key }, { rateLimit: { retryAfterSeconds: 7 } });
    h.emulator.setBehavior({ key: openai.key }, { rateLimit: { retryAfterSeconds: 2.5 } });
    // Members with keys of their own do not fall back to the platform key here.
    const policy = { ...defaultPolicy('pro'), platformFallback: 'never' };
    expect((await h.request('PUT', '/v1/admin/policy', { body: { policy } })).status).toBe(200);
    try {
      const requestId = `retry-after-${Date.now()}`;
      const limited = await enrich({ grants: [await h.grant(groq.secretId), await h.grant(openai.secretId)] }, { 'x-request-id': requestId });
      expect(limited.status).toBe(502);
      expect(limited.headers.get('retry-after')).toBe('3');
      expect(limited.body.error.message).toContain('try again in 3 s');
      // Not stored for replay: the same id, sent again after the wait, runs again and succeeds.
      h.emulator.setBehavior({ key: openai.key }, null);
      const retried = await enrich({ grants: [await h.grant(groq.secretId), await h.grant(openai.secretId)] }, { 'x-request-id': requestId });
      expect(retried.status).toBe(200);
      expect(retried.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.outcome}`)).toEqual(['groq:rate_limited', 'openai:ok']);

      // One provider that failed otherwise says nothing about when: no Retry-After.
      h.emulator.setBehavior({ key: openai.key }, { serverError: 503 });
      const mixed = await enrich({ grants: [await h.grant(groq.secretId), await h.grant(openai.secretId)] });
      expect(mixed.status).toBe(502);
      expect(mixed.headers.get('retry-after')).toBeNull();
      expect(mixed.body.error.message).not.toContain('try again');
    } finally {
      h.emulator.setBehavior({ key: groq.key }, null);
      h.emulator.setBehavior({ key: openai.key }, null);
      h.server.db.prepare('UPDATE orgs SET policy = NULL').run();
    }
  });

  it('stops on a rejected personal key: 424, key marked invalid, audited, no platform fallback', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const rejected = await h.addKey('google', { register: false });
    h.emulator.setBehavior({ provider: 'google' }, { echoKeyInError: true });
    const response = await enrich({ grants: [await h.grant(rejected.secretId)] });
    h.emulator.setBehavior({ provider: 'google' }, null);
    expect(response.status).toBe(424);
    expect(response.body.error.code).toBe('key_rejected');
    // The platform has a google and a groq key; neither was tried.
    expect(h.emulator.requests.filter((request) => request.provider === 'groq')).toHaveLength(0);
    expect(h.emulator.requests.filter((request) => request.provider === 'google')).toHaveLength(1);
    const secrets = await h.request<{ secrets: Array<{ id: string; status: string }> }>('GET', '/v1/secrets');
    expect(secrets.body.secrets.find((secret) => secret.id === rejected.secretId)?.status).toBe('invalid');
    const audit = await h.request<{ events: Array<{ action: string; target: string }> }>('GET', '/v1/audit');
    expect(audit.body.events.some((event) => event.action === 'key.rejected_by_provider' && event.target === rejected.secretId)).toBe(true);
    expect(usageRows().at(-1)?.outcome).toBe('key_rejected');
  });

  it("marks a refused personal key and audits it together or not at all", async () => {
    deleteAllKeys();
    const rejected = await h.addKey('google', { register: false });
    h.server.db.exec("CREATE TRIGGER test_refuse_rejection_audit BEFORE INSERT ON audit_events WHEN NEW.action = 'key.rejected_by_provider' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    try {
      const response = await enrich({ grants: [await h.grant(rejected.secretId)] });
      expect(response.status).toBe(500);
    } finally {
      h.server.db.exec('DROP TRIGGER test_refuse_rejection_audit');
    }
    // No audit event, so no mark either: the key is as it was.
    expect(h.server.db.prepare('SELECT status FROM secrets WHERE id = ?').get(rejected.secretId)).toEqual({ status: 'unverified' });
  });

  it('never answers a call it could not record: a usage commit that fails is a 500, and the id runs again', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const { secretId } = await h.addKey('openai');
    const requestId = `uncommitted-${Date.now()}`;
    // The usage table refuses this request's rows (a full disk, a broken trigger): the transaction
    // with its stored answer rolls back, and the answer, which waits for it, is an error.
    h.server.db.exec(`CREATE TRIGGER test_refuse_usage BEFORE INSERT ON usage_events WHEN NEW.request_id = '${requestId}' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    try {
      const refused = await enrich({ grants: [await h.grant(secretId)] }, { 'x-request-id': requestId });
      expect(refused.status).toBe(500);
      expect(refused.body.error.code).toBe('internal');
      expect(JSON.stringify(refused.body)).not.toContain('Grace Hopper');
    } finally {
      h.server.db.exec('DROP TRIGGER test_refuse_usage');
    }
    expect(usageRows(requestId)).toEqual([]);
    // Nothing was stored for the id, and its claim is released: a repeat runs again and is billed.
    const again = await enrich({ grants: [await h.grant(secretId)] }, { 'x-request-id': requestId });
    expect(again.status).toBe(200);
    expect(h.emulator.requests).toHaveLength(2);
    expect(usageRows(requestId).map((row) => row.outcome)).toEqual(['ok']);
  });

  it('refuses a text of nothing but whitespace before any route: nothing is called or billed', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const { secretId } = await h.addKey('openai');
    const requestId = `blank-${Date.now()}`;
    const blank = await h.request<ErrorBody>('POST', '/v1/enrich', {
      headers: { 'x-request-id': requestId },
      body: { task: 'summary', input: { kind: 'selection', text: ' \n\n \u00a0 ' }, grants: [await h.grant(secretId)] },
    });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toEqual({ code: 'bad_request', message: expect.stringContaining('input.text has nothing but whitespace') });
    expect(h.emulator.requests).toHaveLength(0);
    expect(usageRows(requestId)).toEqual([]);
  });

  it("an answer's rows and stored answer are committed before it is sent, from a provider or builtin", async () => {
    deleteAllKeys();
    const { secretId } = await h.addKey('openai');
    // Read in the very callback that receives the answer's last byte, in this process, which also
    // runs the companion: what a request sent after the answer, or a crash after it, would find.
    const rowsWhenAnswered = (body: Record<string, unknown>): Promise<{ status: number; rows: number; stored: boolean }> =>
      new Promise((resolve, reject) => {
        const requestId = `read-after-${randomUUID()}`;
        const payload = JSON.stringify({ task: 'summary', input: { kind: 'selection', text: TEXT }, ...body });
        const sent = httpRequest(
          `${h.server.baseUrl}/v1/enrich`,
          { method: 'POST', headers: { authorization: `Bearer ${h.owner.accessToken}`, 'content-type': 'application/json', 'x-request-id': requestId } },
          (response) => {
            response.resume();
            response.on('end', () => {
              const stored = h.server.db.prepare('SELECT 1 FROM idempotency_records WHERE request_id = ?').get(requestId) !== undefined;
              resolve({ status: response.statusCode ?? 0, rows: usageRows(requestId).length, stored });
            });
          },
        );
        sent.on('error', reject);
        sent.end(payload);
      });
    for (let round = 0; round < 5; round++) {
      expect(await rowsWhenAnswered({ grants: [await h.grant(secretId)] })).toEqual({ status: 200, rows: 1, stored: true });
      expect(await rowsWhenAnswered({ grants: [], provider: 'builtin' })).toEqual({ status: 200, rows: 1, stored: true });
    }
  });

  it('stops when a provider refuses the content: 422, nothing sent elsewhere, the billed tokens recorded, replayed', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const google = await h.addKey('google');
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ provider: 'google' }, { blockPrompt: 'PROHIBITED_CONTENT' });
    const requestId = `refused-${Date.now()}`;
    const response = await enrich({ grants: [await h.grant(google.secretId), await h.grant(openai.secretId)] }, { 'x-request-id': requestId });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('content_refused');
    expect(response.body.error.message).toBe('Google Gemini refused the content (PROHIBITED_CONTENT); no further provider was tried.');
    // Neither the member's next key nor the platform's google and groq keys saw the text.
    expect(h.emulator.requests.map((request) => request.provider)).toEqual(['google']);
    const [row] = usageRows(requestId);
    expect(usageRows(requestId)).toHaveLength(1);
    expect(row).toMatchObject({ provider: 'google', source: 'byok', outcome: 'error' });
    expect((row as unknown as { input_tokens: number }).input_tokens).toBe(h.emulator.reportedUsage[0]?.inputTokens);
    // The key is fine: it stays valid, and the refusal is no audit event.
    const secrets = await h.request<{ secrets: Array<{ id: string; status: string }> }>('GET', '/v1/secrets');
    expect(secrets.body.secrets.find((secret) => secret.id === google.secretId)?.status).not.toBe('invalid');
    // A repeat of the id gets the stored refusal, with no provider call and no second row.
    const repeat = await enrich({ grants: [] }, { 'x-request-id': requestId });
    expect(repeat.status).toBe(422);
    expect(repeat.body).toEqual(response.body);
    expect(h.emulator.requests).toHaveLength(1);
    expect(usageRows(requestId)).toHaveLength(1);

    // After an attempt that moved on, the message names it; an answer the filter cut is refused too.
    h.emulator.reset();
    h.emulator.setBehavior({ provider: 'google' }, { serverError: 503 });
    h.emulator.setBehavior({ provider: 'openai' }, { filterAnswer: true });
    const cut = await enrich({ grants: [await h.grant(google.secretId), await h.grant(openai.secretId)] });
    h.emulator.setBehavior({ provider: 'google' }, null);
    h.emulator.setBehavior({ provider: 'openai' }, null);
    expect(cut.status).toBe(422);
    expect(cut.body.error.message).toBe('OpenAI refused the content (content_filter); no further provider was tried. Earlier attempts: google (byok): unreachable.');
    expect(h.emulator.requests.map((request) => request.provider)).toEqual(['google', 'openai']);
  });

  it('uses the platform key when the member has none, within the monthly quota', async () => {
    deleteAllKeys();
    startPlatformQuota({ monthlyCalls: 2, monthlyCostMicros: null });
    const first = await enrich({ provider: 'groq' });
    expect(first.status).toBe(200);
    expect(first.body.route).toMatchObject({ provider: 'groq', source: 'platform' });
    expect(first.body.route.secretId).toBeUndefined();
    expect((await enrich({ provider: 'groq' })).status).toBe(200);
    const refused = await enrich({ provider: 'groq' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('quota_exceeded');
    // The cost cap: the call that crosses it is the last one allowed.
    startPlatformQuota({ monthlyCalls: null, monthlyCostMicros: 1 });
    expect((await enrich({ provider: 'groq' })).status).toBe(200);
    expect((await enrich({ provider: 'groq' })).body.error.code).toBe('quota_exceeded');
    h.server.db.prepare('UPDATE orgs SET policy = NULL').run();
  });

  it('a platform attempt that reached no provider uses none of the quota: the fallback to the next platform key is allowed', async () => {
    deleteAllKeys();
    startPlatformQuota({ monthlyCalls: 1, monthlyCostMicros: null });
    h.emulator.setBehavior({ provider: 'groq' }, { serverError: 503 });
    try {
      const response = await enrich({});
      expect(response.status).toBe(200);
      expect(response.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.source}:${attempt.outcome}`)).toEqual(['groq:platform:unreachable', 'google:platform:ok']);
      // And the one call of the quota is now used.
      expect((await enrich({})).body.error.code).toBe('quota_exceeded');
    } finally {
      h.emulator.setBehavior({ provider: 'groq' }, null);
      h.server.db.prepare("DELETE FROM usage_events WHERE source = 'platform'").run();
      h.server.db.prepare('UPDATE orgs SET policy = NULL').run();
    }
  });

  it("keeps the platform key to the catalog's models: another model is a 400 when nothing else can serve it, and goes to the member's own key", async () => {
    deleteAllKeys();
    h.emulator.reset();
    const requestId = `uncatalogued-${Date.now()}`;
    // The quota counts platform calls at catalog prices: a model the catalog does not price could
    // cost the operator any multiple of what is counted.
    const refused = await enrich({ provider: 'groq', model: 'some-expensive-model-the-catalog-lacks' }, { 'x-request-id': requestId });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({
      code: 'bad_request',
      message: 'model: nothing in the route could be tried (groq (platform): skipped). Skipped because the shared Groq key serves only the models in the catalog.',
    });
    expect(h.emulator.requests).toHaveLength(0);
    expect(usageRows(requestId)).toEqual([]);
    // A key of the member's own that the request sent no grant for is skipped too: still a 400.
    const { secretId } = await h.addKey('groq');
    const ungranted = await enrich({ provider: 'groq', model: 'some-expensive-model-the-catalog-lacks' });
    expect(ungranted.status).toBe(400);
    expect(ungranted.body.error.message).toBe('model: nothing in the route could be tried (groq (byok): skipped; groq (platform): skipped). Skipped because the shared Groq key serves only the models in the catalog.');
    // The member's own key takes any model the provider has.
    const own = await enrich({ grants: [await h.grant(secretId)], provider: 'groq', model: 'some-expensive-model-the-catalog-lacks' });
    expect(own.status).toBe(200);
    expect(own.body.route).toMatchObject({ provider: 'groq', source: 'byok', model: 'some-expensive-model-the-catalog-lacks' });
  });

  it('counts platform calls in flight against the cost cap at their estimated cost', async () => {
    deleteAllKeys();
    const probe = await enrich({ provider: 'groq' });
    expect(probe.status).toBe(200);
    const { model } = probe.body.route;
    const estimate = estimateEnrichmentTokens('summary', TEXT, findModel('groq', model)?.contextTokens ?? 0);
    const perCall = costMicros('groq', model, estimate.inputTokens, estimate.outputTokens);
    // The estimate is an upper bound of this short call's real cost.
    expect(perCall).toBeGreaterThan(probe.body.usage.costMicros);
    // Room for two and a half estimated calls: the third call starts under the cap, the fourth not.
    startPlatformQuota({ monthlyCalls: null, monthlyCostMicros: Math.floor(perCall * 2.5) });
    h.emulator.setBehavior({ provider: 'groq' }, { latencyMs: 300 });
    const responses = await Promise.all(Array.from({ length: 8 }, () => enrich({ provider: 'groq' })));
    h.emulator.setBehavior({ provider: 'groq' }, null);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    expect(responses.filter((response) => response.status === 429).every((response) => response.body.error.code === 'quota_exceeded')).toBe(true);
    // Released with the rows on record: the real cost of three calls is far under the cap again.
    expect((await enrich({ provider: 'groq' })).status).toBe(200);
    h.server.db.prepare("DELETE FROM usage_events WHERE source = 'platform'").run();
    h.server.db.prepare('UPDATE orgs SET policy = NULL').run();
  });

  it('counts platform calls in flight against the call quota: concurrent requests do not overshoot it', async () => {
    deleteAllKeys();
    startPlatformQuota({ monthlyCalls: 3, monthlyCostMicros: null });
    // Slow enough that all eight are in flight together, each checking the quota before any has a row.
    h.emulator.setBehavior({ provider: 'groq' }, { latencyMs: 300 });
    const responses = await Promise.all(Array.from({ length: 8 }, () => enrich({ provider: 'groq' })));
    h.emulator.setBehavior({ provider: 'groq' }, null);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    expect(usageRows().filter((row) => row.source === 'platform' && row.outcome === 'ok')).toHaveLength(3);
    // The reservations were released with the rows on record: the quota is now simply reached.
    expect((await enrich({ provider: 'groq' })).body.error.code).toBe('quota_exceeded');
    h.server.db.prepare("DELETE FROM usage_events WHERE source = 'platform'").run();
    expect((await enrich({ provider: 'groq' })).status).toBe(200);
    h.server.db.prepare('UPDATE orgs SET policy = NULL').run();
  });

  it('falls back from a failing personal key to an organization key (business plan)', async () => {
    deleteAllKeys();
    h.server.db.prepare("UPDATE orgs SET plan = 'business'").run();
    const orgKey = h.canary.key('anthropic');
    h.emulator.addKey('anthropic', orgKey);
    const orgSecretId = randomUUID();
    const upload = await createOrgUploadGrant({ keySet: await h.client.grantKeys(), userId: h.owner.userId, secretId: orgSecretId, apiKey: orgKey });
    const { services, db } = h.server;
    const orgSecrets = new OrgSecretsService(db, services.accountsStore, new OrgSecretsStore(db), services.audit, services.grantKeys, services.jtis, services.masterKek);
    await orgSecrets.put(h.owner.orgId, h.owner.userId, orgSecretId, { provider: 'anthropic', label: 'org anthropic', upload });
    const personal = await h.addKey('openai');
    h.emulator.setBehavior({ key: personal.key }, { serverError: 500 });
    try {
      const response = await enrich({ grants: [await h.grant(personal.secretId)] });
      expect(response.status).toBe(200);
      expect(response.body.route).toMatchObject({ provider: 'anthropic', source: 'org', secretId: orgSecretId });
      expect(response.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.source}:${attempt.outcome}`)).toEqual(['openai:byok:unreachable', 'anthropic:org:ok']);
      const anthropicCall = h.emulator.requests.filter((request) => request.provider === 'anthropic').at(-1);
      expect(anthropicCall?.headers['x-api-key']).toBe(orgKey);

      // An admin deletes the organization key while the personal key's attempt is still running:
      // the route skips it and goes on to the platform, and the failed attempt's row is kept.
      h.emulator.setBehavior({ key: personal.key }, { serverError: 500, latencyMs: 300 });
      const pending = enrich({ grants: [await h.grant(personal.secretId)] });
      await new Promise((resolve) => setTimeout(resolve, 100));
      h.server.db.prepare('DELETE FROM org_secrets').run();
      const skipped = await pending;
      expect(skipped.status).toBe(200);
      expect(skipped.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.source}:${attempt.outcome}`)).toEqual([
        'openai:byok:unreachable',
        'anthropic:org:skipped',
        'groq:platform:ok',
      ]);
      expect(usageRows(skipped.body.requestId).map((row) => `${row.provider}:${row.outcome}`)).toEqual(['openai:unreachable', 'groq:ok']);
    } finally {
      h.server.db.prepare("UPDATE orgs SET plan = 'pro'").run();
      h.server.db.prepare('DELETE FROM org_secrets').run();
    }
  });

  it('marks a refused organization key invalid, but not the key an admin put in its place while the call ran', async () => {
    deleteAllKeys();
    h.server.db.prepare("UPDATE orgs SET plan = 'business'").run();
    const { services, db } = h.server;
    const orgSecrets = new OrgSecretsService(db, services.accountsStore, new OrgSecretsStore(db), services.audit, services.grantKeys, services.jtis, services.masterKek);
    const orgSecretId = randomUUID();
    const putOrgKey = async (apiKey: string) => {
      const upload = await createOrgUploadGrant({ keySet: await h.client.grantKeys(), userId: h.owner.userId, secretId: orgSecretId, apiKey });
      await orgSecrets.put(h.owner.orgId, h.owner.userId, orgSecretId, { provider: 'anthropic', label: 'org anthropic', upload });
    };
    const orgKeyRow = () => db.prepare('SELECT status, version FROM org_secrets WHERE id = ?').get(orgSecretId) as { status: string; version: number };
    try {
      // A key the provider does not know: refused, marked invalid, and the route goes on to the platform.
      await putOrgKey(h.canary.key('anthropic'));
      const refused = await enrich({ grants: [] });
      expect(refused.status).toBe(200);
      expect(refused.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.source}:${attempt.outcome}`)).toEqual(['anthropic:org:key_rejected', 'groq:platform:ok']);
      const first = orgKeyRow().version;
      expect(orgKeyRow()).toEqual({ status: 'invalid', version: first });
      // The admins' log says so; the member's own events do not.
      const refusals = () => services.audit.listForOrg(h.owner.orgId, { limit: 100, action: 'org_key.rejected_by_provider' });
      expect(refusals()[0]).toMatchObject({ actor: 'system', target: orgSecretId, provider: 'anthropic', detail: { label: 'org anthropic', status: 401 } });
      // Routes still try the key, but its refusal is audited once, not on every member's request.
      const logged = refusals().length;
      for (let again = 0; again < 3; again++) expect((await enrich({ grants: [] })).body.route.attempts[0]?.outcome).toBe('key_rejected');
      expect(refusals()).toHaveLength(logged);

      // Rotated while the refused key's call waits on the provider: the verdict was about the old key.
      await putOrgKey(h.canary.key('anthropic'));
      expect(orgKeyRow()).toEqual({ status: 'unverified', version: first + 1 });
      h.emulator.setBehavior({ provider: 'anthropic' }, { latencyMs: 300 });
      const anthropicCalls = h.emulator.requests.filter((request) => request.provider === 'anthropic').length;
      const pending = enrich({ grants: [] });
      await expect.poll(() => h.emulator.requests.filter((request) => request.provider === 'anthropic').length, { interval: 5 }).toBe(anthropicCalls + 1);
      const fresh = h.canary.key('anthropic');
      h.emulator.addKey('anthropic', fresh);
      await putOrgKey(fresh);
      const overlapped = await pending;
      expect(overlapped.body.route.attempts.map((attempt) => `${attempt.provider}:${attempt.outcome}`)).toEqual(['anthropic:key_rejected', 'groq:ok']);
      expect(orgKeyRow()).toEqual({ status: 'unverified', version: first + 2 });
      expect(services.audit.listForOrg(h.owner.orgId, { limit: 1, action: 'org_key.rejected_by_provider' })[0]?.detail).toMatchObject({ markedInvalid: false });
      h.emulator.setBehavior({ provider: 'anthropic' }, null);
      expect((await enrich({ grants: [] })).body.route).toMatchObject({ provider: 'anthropic', source: 'org', secretId: orgSecretId });
    } finally {
      h.emulator.setBehavior({ provider: 'anthropic' }, null);
      h.server.db.prepare("UPDATE orgs SET plan = 'pro'").run();
      h.server.db.prepare('DELETE FROM org_secrets').run();
    }
  });

  it('reaches Azure OpenAI through the operator base URL with the deployment path and api-key', async () => {
    deleteAllKeys();
    h.emulator.reset();
    const azure = await h.addKey('azure-openai', { baseUrl: 'https://contoso.openai.azure.com' });
    const response = await enrich({ grants: [await h.grant(azure.secretId)], provider: 'azure-openai', model: 'gpt-4o' });
    expect(response.status).toBe(200);
    expect(response.body.route).toMatchObject({ provider: 'azure-openai', model: 'gpt-4o', source: 'byok' });
    expect(h.emulator.requests[0]?.path).toBe('/azure/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(h.emulator.requests[0]?.headers['api-key']).toBe(azure.key);
  });

  it('replays a repeated x-request-id without grants or provider calls, billed once', async () => {
    deleteAllKeys();
    const { secretId } = await h.addKey('openai');
    const grant = await h.grant(secretId);
    const requestId = `replay-${Date.now()}`;
    const first = await enrich({ grants: [grant] }, { 'x-request-id': requestId });
    expect(first.status).toBe(200);
    const calls = h.emulator.requests.length;
    // Same grant again (a replayed grant would be refused) and then no grant at all.
    const second = await enrich({ grants: [grant] }, { 'x-request-id': requestId });
    const third = await enrich({ grants: [] }, { 'x-request-id': requestId });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(h.emulator.requests.length).toBe(calls);
    expect(usageRows(requestId)).toHaveLength(1);
    // An id that cannot be kept is refused, not replaced: a replaced one would bill a retry again.
    for (const malformed of ['a/b+c=', 'x'.repeat(129)]) {
      const refused = await enrich({ grants: [] }, { 'x-request-id': malformed });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('x-request-id') });
    }
    expect(h.emulator.requests.length).toBe(calls);
    // Another user's request with the same id is a different request.
    const other = await h.client.register();
    const otherReply = await h.client.request<ErrorBody>('POST', '/v1/enrich', {
      token: other.accessToken,
      headers: { 'x-request-id': requestId },
      body: { task: 'summary', input: { kind: 'selection', text: TEXT }, grants: [grant] },
    });
    expect(otherReply.status).toBe(400);
    expect(otherReply.body.error.code).toBe('grant_invalid');

    // The same id sent again while the first is still running: 409, and nothing billed twice.
    h.emulator.setBehavior({ provider: 'openai' }, { latencyMs: 300 });
    const concurrentId = `concurrent-${Date.now()}`;
    const [a, b] = await Promise.all([
      enrich({ grants: [await h.grant(secretId)] }, { 'x-request-id': concurrentId }),
      new Promise((resolve) => setTimeout(resolve, 100)).then(async () => enrich({ grants: [] }, { 'x-request-id': concurrentId })),
    ]);
    h.emulator.setBehavior({ provider: 'openai' }, null);
    expect([a.status, b.status]).toEqual([200, 409]);
    expect(b.body.error.code).toBe('conflict');
    expect(usageRows(concurrentId)).toHaveLength(1);
  });

  it('simultaneous repeats of one x-request-id reach the provider once and are billed once', async () => {
    deleteAllKeys();
    const { secretId } = await h.addKey('openai');
    // A grant each, made beforehand: opening them is the await during which the repeats overlap.
    const grants = await Promise.all(Array.from({ length: 8 }, async () => h.grant(secretId)));
    const requestId = `simultaneous-${randomUUID()}`;
    h.emulator.setBehavior({ provider: 'openai' }, { latencyMs: 300 });
    const calls = h.emulator.requests.length;
    const answers = await Promise.all(grants.map(async (grant) => enrich({ grants: [grant] }, { 'x-request-id': requestId })));
    h.emulator.setBehavior({ provider: 'openai' }, null);
    expect(h.emulator.requests.length - calls).toBe(1);
    const winner = answers.find((answer) => answer.status === 200);
    expect(winner?.body.requestId).toBe(requestId);
    for (const answer of answers) {
      if (answer.status === 409) expect(answer.body.error.code).toBe('conflict');
      else expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: winner?.body });
    }
    expect(usageRows(requestId)).toHaveLength(1);
  });

  it('uses builtin with no key at all, and when named', async () => {
    deleteAllKeys();
    const other = await h.client.register();
    const response = await h.client.request<EnrichResponse>('POST', '/v1/enrich', {
      token: other.accessToken,
      body: { task: 'enrich', input: { kind: 'page', text: TEXT }, grants: [] },
    });
    // The org has platform keys, so with no provider named the platform serves this member.
    expect(response.body.route.source).toBe('platform');
    const named = await enrich({ provider: 'builtin', task: 'enrich' });
    expect(named.status).toBe(200);
    expect(named.body.route).toMatchObject({ provider: 'builtin', source: 'builtin', model: 'builtin-extractive' });
    expect(named.body.usage).toEqual({ inputTokens: 0, outputTokens: 0, costMicros: 0, calls: 2 });
    expect(named.body.entities?.some((entity) => entity.text.includes('Grace Hopper'))).toBe(true);
  });

  it('refuses over-limit input: 413 for text over 2 MiB, 400 for more than 8 grants', async () => {
    const big = await h.request<ErrorBody>('POST', '/v1/enrich', { body: { task: 'summary', input: { kind: 'document', text: 'é'.repeat(1024 * 1024 + 1) }, grants: [] } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const many = await enrich({ grants: new Array(9).fill('x.y.z.w.v') });
    expect(many.status).toBe(400);
    expect(many.body.error.code).toBe('bad_request');
  });

  it('answers 502 with the attempts when every candidate fails', async () => {
    deleteAllKeys();
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ provider: 'openai' }, { drop: true });
    h.emulator.setBehavior({ provider: 'groq' }, { serverError: 500 });
    h.emulator.setBehavior({ provider: 'google' }, { serverError: 500 });
    const response = await enrich({ grants: [await h.grant(openai.secretId)] });
    h.emulator.reset();
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe('provider_unreachable');
    expect(response.body.error.message).toContain('openai (byok): unreachable');
  });
});

describe('usage, CSV, verify and metrics', () => {
  it('reports the caller’s usage totals and a CSV with one row per call, injection-safe', async () => {
    deleteAllKeys();
    const { secretId } = await h.addKey('openai');
    const injected = await enrich({ grants: [await h.grant(secretId)], provider: 'openai', model: '=HYPERLINK("http://x")' });
    expect(injected.status).toBe(200);
    const usage = await h.request<UsageResponse>('GET', '/v1/usage?groupBy=provider');
    expect(usage.status).toBe(200);
    const mine = usageRows().filter((row) => (row as unknown as { user_id: string }).user_id === h.owner.userId);
    expect(usage.body.totals.calls).toBe(mine.length);
    expect(usage.body.totals.costMicros).toBe(mine.reduce((sum, row) => sum + row.cost_micros, 0));
    expect(usage.body.groups.find((group) => group.key === 'openai')?.calls).toBeGreaterThan(0);
    expect(usage.body.recent[0]).not.toHaveProperty('userId');

    const csv = await h.request('GET', '/v1/usage.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,provider,model,source,secretId,task,inputTokens,outputTokens,costMicros,latencyMs,outcome');
    expect(lines).toHaveLength(mine.length + 1);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv.text).not.toMatch(/(^|,)=HYPERLINK/m);

    // An export over several pages (streamed a page at a time) has every row once, oldest first.
    const bulk = Array.from({ length: 2 * CSV_PAGE_ROWS + 123 }, (_, index) => ({
      id: randomUUID(), orgId: h.owner.orgId, userId: h.owner.userId, requestId: 'csv-bulk',
      at: new Date(Date.UTC(2026, 10, 2) + Math.floor(index / 3) * 1000).toISOString(),
      provider: 'openai', model: 'gpt-4o-mini', source: 'byok' as const, secretId: null, task: 'summary' as const,
      inputTokens: 1, outputTokens: 1, costMicros: 1, latencyMs: 1, outcome: 'ok' as const,
    }));
    new UsageStore(h.server.db).record(bulk, null);
    try {
      const big = await h.request('GET', '/v1/usage.csv?from=2026-11-02&to=2026-11-03');
      const ids = big.text.trim().split('\r\n').slice(1).map((line) => line.split(',')[0]);
      expect(ids).toEqual(bulk.map((row) => row.id));
    } finally {
      h.server.db.prepare("DELETE FROM usage_events WHERE request_id = 'csv-bulk'").run();
    }
  });

  describe('a personal key rotated (to another base URL) while its grant is opened', () => {
    // The rotation lands inside the request, around GrantsService.openGrants (the real one, run
    // as is): a verdict about the released key lands on its version, not on the row's. (Where the
    // key is sent is the release's too, but the operator's emulator URLs hide the base URL here.)
    const vllmBase = () => h.emulator.urls.vllm;
    const movedBase = () => `${h.emulator.urls.vllm}/moved`;
    let original: typeof h.server.services.grants.openGrants;
    beforeAll(() => {
      original = h.server.services.grants.openGrants;
    });
    afterEach(() => {
      h.server.services.grants.openGrants = original;
      h.server.db.prepare('UPDATE orgs SET policy = NULL').run();
    });
    const allowVllm = async () => {
      const policy = { ...defaultPolicy('pro'), allowedBaseUrls: [new URL(vllmBase()).origin] };
      expect((await h.request('PUT', '/v1/admin/policy', { body: { policy } })).status).toBe(200);
    };
    const putSealed = (sealed: SealedKey, defaultModel?: string) =>
      h.request('PUT', `/v1/secrets/${sealed.secretId}`, {
        body: { provider: 'vllm', label: 'vllm key', baseUrl: sealed.baseUrl, hint: sealed.hint, sealed: sealed.sealed, ...(defaultModel === undefined ? {} : { defaultModel }) },
      });

    it("enrich: the provider's refusal of the key released before the rotation leaves the new key alone", async () => {
      deleteAllKeys();
      await allowVllm();
      // The old key is one the provider refuses; the rotation brings one it knows.
      const { secretId } = await h.addKey('vllm', { baseUrl: vllmBase(), register: false });
      const grant = await h.grant(secretId);
      h.server.services.grants.openGrants = async function (this: unknown, ...args) {
        const keys = await original.apply(h.server.services.grants, args);
        const next = h.canary.key('vllm');
        h.emulator.addKey('vllm', next);
        expect((await h.client.putKey(h.owner, { provider: 'vllm', apiKey: next, secretId, baseUrl: movedBase() })).status).toBe(200);
        return keys;
      };
      const response = await enrich({ grants: [grant], provider: 'vllm' });
      expect(response.status).toBe(424);
      expect(response.body.error).toMatchObject({ code: 'key_rejected', message: expect.stringContaining('replaced meanwhile') });
      const row = h.server.db.prepare('SELECT status, base_url AS baseUrl FROM secrets WHERE id = ?').get(secretId);
      expect(row).toEqual({ status: 'unverified', baseUrl: movedBase() });
    });

    it('verify: the verdict about the key released after the rotation lands on that key', async () => {
      deleteAllKeys();
      await allowVllm();
      const { secretId } = await h.addKey('vllm', { baseUrl: movedBase() });
      const next = h.canary.key('vllm');
      h.emulator.addKey('vllm', next);
      const rotation = await h.client.seal(h.owner, { provider: 'vllm', apiKey: next, secretId, baseUrl: vllmBase() });
      const grant = await h.client.grant(h.owner, secretId, { purpose: 'verify', wrappedDek: rotation.sealed.wrappedDek });
      // Verify has read the row (old key, moved base URL, the catalog's default model); the rotation,
      // to another model too, lands before the grant is opened.
      h.server.services.grants.openGrants = async function (this: unknown, ...args) {
        expect((await putSealed(rotation, 'Qwen/Qwen2.5-7B-Instruct')).status).toBe(200);
        return original.apply(h.server.services.grants, args);
      };
      const requestId = `verify-rotated-${Date.now()}`;
      const verified = await h.request<{ status: string; model: string }>('POST', `/v1/secrets/${secretId}/verify`, { headers: { 'x-request-id': requestId }, body: { grant } });
      expect(verified.body).toMatchObject({ status: 'valid', model: 'Qwen/Qwen2.5-7B-Instruct' });
      expect(h.server.db.prepare('SELECT model FROM usage_events WHERE request_id = ?').all(requestId)).toEqual([{ model: 'Qwen/Qwen2.5-7B-Instruct' }]);
      const row = h.server.db.prepare('SELECT status FROM secrets WHERE id = ?').get(secretId) as { status: string };
      expect(row.status).toBe('valid');
    });
  });

  it('verifies a key: valid, invalid, unreachable; status and audit follow', async () => {
    deleteAllKeys();
    const good = await h.addKey('anthropic');
    const bad = await h.addKey('openai', { register: false });
    const valid = await h.request<{ status: string; model?: string }>('POST', `/v1/secrets/${good.secretId}/verify`, { body: { grant: await h.grant(good.secretId, 'verify') } });
    expect(valid.body).toMatchObject({ status: 'valid', model: 'claude-haiku-4-5' });
    const invalid = await h.request<{ status: string }>('POST', `/v1/secrets/${bad.secretId}/verify`, { body: { grant: await h.grant(bad.secretId, 'verify') } });
    expect(invalid.body.status).toBe('invalid');
    h.emulator.setBehavior({ provider: 'anthropic' }, { serverError: 500 });
    const down = await h.request<{ status: string }>('POST', `/v1/secrets/${good.secretId}/verify`, { body: { grant: await h.grant(good.secretId, 'verify') } });
    h.emulator.setBehavior({ provider: 'anthropic' }, null);
    expect(down.body.status).toBe('unreachable');
    // A rate limit is unreachable for the key's status, and recorded as rate_limited.
    h.emulator.setBehavior({ provider: 'anthropic' }, { rateLimit: { retryAfterSeconds: 1 } });
    const limitedId = `verify-limited-${Date.now()}`;
    const limited = await h.request<{ status: string }>('POST', `/v1/secrets/${good.secretId}/verify`, { headers: { 'x-request-id': limitedId }, body: { grant: await h.grant(good.secretId, 'verify') } });
    h.emulator.setBehavior({ provider: 'anthropic' }, null);
    expect(limited.body.status).toBe('unreachable');
    expect(usageRows(limitedId).map((row) => row.outcome)).toEqual(['rate_limited']);
    const secrets = await h.request<{ secrets: Array<{ id: string; status: string; lastVerifiedAt: string | null }> }>('GET', '/v1/secrets');
    const goodView = secrets.body.secrets.find((secret) => secret.id === good.secretId);
    expect(goodView?.status).toBe('valid');
    expect(goodView?.lastVerifiedAt).not.toBeNull();
    expect(secrets.body.secrets.find((secret) => secret.id === bad.secretId)?.status).toBe('invalid');
    const audit = await h.request<{ events: Array<{ action: string; target: string }> }>('GET', '/v1/audit');
    expect(audit.body.events.filter((event) => event.target === good.secretId).map((event) => event.action)).toEqual(expect.arrayContaining(['key.verified', 'key.verify_failed']));
    // A verify grant for another of the caller's keys is refused before anything is opened: the
    // grant is not used up and still verifies its own key.
    const forGood = await h.grant(good.secretId, 'verify');
    const wrongKey = await h.request<ErrorBody>('POST', `/v1/secrets/${bad.secretId}/verify`, { body: { grant: forGood } });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body.error.code).toBe('grant_invalid');
    expect((await h.request<{ status: string }>('POST', `/v1/secrets/${good.secretId}/verify`, { body: { grant: forGood } })).body.status).toBe('valid');
    // A client that leaves while the provider is asked still leaves the call's usage row.
    h.emulator.setBehavior({ provider: 'anthropic' }, { latencyMs: 400 });
    const leaving = new AbortController();
    const leftId = `verify-left-${Date.now()}`;
    const left = fetch(`${h.server.baseUrl}/v1/secrets/${good.secretId}/verify`, {
      method: 'POST',
      signal: leaving.signal,
      headers: { authorization: `Bearer ${h.owner.accessToken}`, 'content-type': 'application/json', 'x-request-id': leftId },
      body: JSON.stringify({ grant: await h.grant(good.secretId, 'verify') }),
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    leaving.abort();
    await left;
    await expect.poll(() => usageRows(leftId).map((row) => row.outcome)).toEqual(['error']);
    h.emulator.setBehavior({ provider: 'anthropic' }, null);
    // An enrich grant does not verify.
    const wrongPurpose = await h.request<ErrorBody>('POST', `/v1/secrets/${good.secretId}/verify`, { body: { grant: await h.grant(good.secretId, 'enrich') } });
    expect(wrongPurpose.body.error.code).toBe('grant_invalid');

    // The key is rotated while a verify of the old one waits on the provider: the old key's verdict
    // does not land on the new key, which stays unverified.
    const rotating = await h.addKey('openai', { register: false });
    h.emulator.setBehavior({ provider: 'openai' }, { latencyMs: 400 });
    const pending = h.request<{ status: string; detail: string }>('POST', `/v1/secrets/${rotating.secretId}/verify`, { body: { grant: await h.grant(rotating.secretId, 'verify') } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const newKey = h.canary.key('openai');
    h.emulator.addKey('openai', newKey);
    const rotated = await h.client.putKey(h.owner, { provider: 'openai', apiKey: newKey, secretId: rotating.secretId });
    expect(rotated.status).toBe(200);
    const stale = await pending;
    h.emulator.setBehavior({ provider: 'openai' }, null);
    expect(stale.body.status).toBe('invalid');
    expect(stale.body.detail).toContain('changed meanwhile');
    const after = await h.request<{ secrets: Array<{ id: string; status: string }> }>('GET', '/v1/secrets');
    expect(after.body.secrets.find((secret) => secret.id === rotating.secretId)?.status).toBe('unverified');
  });

  it("writes a verify's key status, audit event and usage row together or not at all", async () => {
    deleteAllKeys();
    const key = await h.addKey('anthropic');
    // The audit log refuses the event (a full disk, a broken trigger): nothing of the verify may stay.
    h.server.db.exec("CREATE TRIGGER test_refuse_verify_audit BEFORE INSERT ON audit_events WHEN NEW.action = 'key.verified' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const requestId = `verify-atomic-${Date.now()}`;
    try {
      const failed = await h.request<ErrorBody>('POST', `/v1/secrets/${key.secretId}/verify`, { headers: { 'x-request-id': requestId }, body: { grant: await h.grant(key.secretId, 'verify') } });
      expect(failed.status).toBe(500);
      expect(failed.body.error.code).toBe('internal');
    } finally {
      h.server.db.exec('DROP TRIGGER test_refuse_verify_audit');
    }
    const row = h.server.db.prepare('SELECT status, last_verified_at AS verifiedAt FROM secrets WHERE id = ?').get(key.secretId);
    expect(row).toEqual({ status: 'unverified', verifiedAt: null });
    expect(usageRows(requestId)).toEqual([]);
  });

  it('exposes Prometheus metrics by route template and provider outcome, without user data', async () => {
    const metrics = await h.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.text).toMatch(/byok_http_requests_total\{method="POST",route="\/v1\/enrich",status="200"\} \d+/);
    expect(metrics.text).toMatch(/byok_http_requests_total\{method="POST",route="\/v1\/secrets\/:id\/verify",status="200"\} \d+/);
    expect(metrics.text).toMatch(/byok_provider_calls_total\{provider="openai",outcome="ok"\} \d+/);
    expect(metrics.text).toMatch(/byok_provider_calls_total\{provider="anthropic",outcome="server"\} \d+/);
    expect(metrics.text).toContain('byok_http_request_duration_seconds_bucket');
    // The outbound client's per-origin bound, all origins together: nothing is under way now.
    expect(metrics.text).toContain('byok_outbound_calls_active 0\n');
    expect(metrics.text).toContain('byok_outbound_calls_waiting 0\n');
    expect(metrics.text).toMatch(/byok_outbound_waits_total\{result="busy"\} 0\n/);
    // No ids, emails or raw paths in labels.
    expect(metrics.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(metrics.text).not.toContain('@example.test');
  });
});
