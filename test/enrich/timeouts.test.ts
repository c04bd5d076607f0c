// Providers' own timeouts (BYOK_PROVIDER_TIMEOUTS_MS) through the real companion and the emulator:
// a slow local model gets its own, longer bound on one call, for enrichment and verify alike, while
// every other provider keeps BYOK_PROVIDER_TIMEOUT_MS; the leak canary last.
import type { Policy } from '@byok/shared/plans/policy';
import type { EnrichResponse } from '@byok/shared/wire/enrich';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

const TEXT = 'Ada Lovelace wrote the first program. She worked with Charles Babbage in London.';
type ErrorBody = { error: { code: string; message: string } };

/** Slower than the default bound, well within Ollama's own. */
const SLOW_MS = 900;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ timeoutMs: 400, providerTimeouts: { ollama: 10_000 } });
  // A local model's base URL is the member's to give, within the organization's allowed ones.
  const current = await h.request<{ policy: Policy }>('GET', '/v1/admin/policy');
  const allowedBaseUrls = [new URL(h.emulator.urls.ollama).origin];
  expect((await h.request('PUT', '/v1/admin/policy', { body: { policy: { ...current.body.policy, allowedBaseUrls } } })).status).toBe(200);
});
afterAll(async () => {
  await h.assertNoLeaks();
  await h.close();
});

function enrich(grants: string[]) {
  return h.request<EnrichResponse & ErrorBody>('POST', '/v1/enrich', { body: { task: 'summary', input: { kind: 'selection', text: TEXT }, grants } });
}

describe("a provider's own timeout", () => {
  it('lets a slow local model finish, while another provider as slow times out at the default', async () => {
    const ollama = await h.addKey('ollama', { baseUrl: h.emulator.urls.ollama });
    const openai = await h.addKey('openai');
    h.emulator.setBehavior({ provider: 'ollama' }, { latencyMs: SLOW_MS });
    h.emulator.setBehavior({ provider: 'openai' }, { latencyMs: SLOW_MS });
    try {
      const local = await enrich([await h.grant(ollama.secretId)]);
      expect(local.status).toBe(200);
      expect(local.body.route).toMatchObject({ provider: 'ollama', source: 'byok' });

      const started = Date.now();
      const remote = await enrich([await h.grant(openai.secretId)]);
      expect(remote.status).toBe(502);
      expect(remote.body.error.code).toBe('provider_unreachable');
      expect(Date.now() - started).toBeLessThan(SLOW_MS);

      const verified = await h.request<{ status: string }>('POST', `/v1/secrets/${ollama.secretId}/verify`, { body: { grant: await h.grant(ollama.secretId, 'verify') } });
      expect(verified.body.status).toBe('valid');
      const unverified = await h.request<{ status: string }>('POST', `/v1/secrets/${openai.secretId}/verify`, { body: { grant: await h.grant(openai.secretId, 'verify') } });
      expect(unverified.body.status).toBe('unreachable');
    } finally {
      h.emulator.setBehavior({ provider: 'ollama' }, null);
      h.emulator.setBehavior({ provider: 'openai' }, null);
    }
  });
});
