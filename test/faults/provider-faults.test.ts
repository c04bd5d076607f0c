// The provider misbehaves while the companion (a real server process) keeps its promises: a hang,
// a reset connection, 500, 429, a truncated body, broken JSON and a gigabyte body each end within
// the provider timeout with the right code, while healthy requests of another key keep being
// served quickly, and the server's resident memory stays bounded (the gigabyte is cut by the
// response size cap, not buffered). Every failed attempt has its usage row; the leak canary last.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnrichResponse } from '@byok/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, type TestUser } from '../../server/src/testing/client';
import { startEmulator, type Behavior, type Emulator } from '../emulator';
import { LeakCanary, filesBelow, type Haystack } from '../support/leak-canary';
import { spawnServer, type SpawnedServer } from '../support/spawned-server';

const TIMEOUT_MS = 2_000;
const TEXT = 'Grace Hopper wrote the first compiler. She worked at Harvard University in Cambridge.';

let emulator: Emulator;
let server: SpawnedServer;
let dataDir: string;
let client: TestClient;
let owner: TestUser;
const canary = new LeakCanary();
const seen: Haystack[] = [];
let healthyKey: string;

async function storeKey(provider: 'openai' | 'anthropic'): Promise<{ secretId: string; key: string }> {
  const key = canary.key(provider);
  emulator.addKey(provider, key);
  const put = await client.putKey(owner, { provider, apiKey: key });
  if (put.status !== 201) throw new Error(`storing a key failed: ${put.status} ${put.text}`);
  return { secretId: put.sent.secretId, key };
}

async function enrich(secretId: string, provider: string): Promise<{ status: number; body: EnrichResponse & { error?: { code: string } }; ms: number }> {
  const grant = await client.grant(owner, secretId);
  const started = performance.now();
  const response = await client.request<EnrichResponse & { error?: { code: string } }>('POST', '/v1/enrich', {
    token: owner.accessToken,
    body: { task: 'summary', provider, input: { kind: 'selection', text: TEXT }, grants: [grant] },
  });
  seen.push({ name: `enrich ${provider} ${response.status}`, content: response.text });
  return { status: response.status, body: response.body, ms: performance.now() - started };
}

beforeAll(async () => {
  emulator = await startEmulator();
  dataDir = mkdtempSync(join(tmpdir(), 'byok-faults-'));
  server = await spawnServer({
    BYOK_DATA_DIR: dataDir,
    BYOK_PROVIDER_BASE_URLS: JSON.stringify(emulator.urls),
    BYOK_PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
    BYOK_RATE_LIMITS: 'off',
  });
  client = new TestClient(server.url);
  owner = await client.register();
  canary.watch(owner.accessToken);
  healthyKey = (await storeKey('anthropic')).secretId;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  canary.assertClean([{ name: 'server output', content: server.output.join('\n') }, ...seen, ...(await filesBelow(dataDir))]);
  rmSync(dataDir, { recursive: true, force: true });
  await emulator?.close();
});

describe('provider misbehaviour', () => {
  it('answers every fault within its timeout with the right code, serves others meanwhile, memory bounded', async () => {
    const faults: Array<{ name: string; behavior: Behavior; provider: 'openai'; codes: string[] }> = [
      { name: 'hang', behavior: { hang: true }, provider: 'openai', codes: ['provider_unreachable'] },
      { name: 'reset', behavior: { drop: true }, provider: 'openai', codes: ['provider_unreachable'] },
      { name: '500', behavior: { serverError: 500 }, provider: 'openai', codes: ['provider_unreachable'] },
      { name: '429', behavior: { rateLimit: { retryAfterSeconds: 30 } }, provider: 'openai', codes: ['provider_unreachable', 'rate_limited'] },
      { name: 'truncated', behavior: { truncatedBody: true }, provider: 'openai', codes: ['provider_unreachable'] },
      { name: 'malformed', behavior: { malformedJson: true }, provider: 'openai', codes: ['provider_unreachable'] },
      { name: 'gigabyte', behavior: { hugeBodyBytes: 1024 ** 3 }, provider: 'openai', codes: ['provider_unreachable'] },
    ];
    const keys = new Map<string, string>();
    for (const fault of faults) {
      const stored = await storeKey(fault.provider);
      keys.set(fault.name, stored.secretId);
      emulator.setBehavior({ key: stored.key }, fault.behavior);
    }
    // Warm up, then take the baseline.
    for (let i = 0; i < 5; i++) expect((await enrich(healthyKey, 'anthropic')).status).toBe(200);
    const baseline = server.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rss());
    }, 50);

    // Healthy traffic runs for as long as the faults are in flight.
    let faultsDone = false;
    const healthy: Array<{ status: number; ms: number }> = [];
    const healthyLoop = (async () => {
      while (!faultsDone) {
        const result = await enrich(healthyKey, 'anthropic');
        healthy.push({ status: result.status, ms: result.ms });
      }
    })();
    const results = await Promise.all(
      faults.flatMap((fault) => [0, 1].map(async () => ({ fault, result: await enrich(keys.get(fault.name) ?? '', fault.provider) }))),
    );
    faultsDone = true;
    await healthyLoop;
    clearInterval(sampler);

    for (const { fault, result } of results) {
      expect(fault.codes, `${fault.name}: ${result.status} ${JSON.stringify(result.body).slice(0, 200)}`).toContain(result.body.error?.code);
      // The provider timeout bounds every call; the slack covers a loaded 2-core machine.
      expect(result.ms, fault.name).toBeLessThan(TIMEOUT_MS + 3_000);
    }
    expect(healthy.length).toBeGreaterThan(3);
    expect(healthy.every((call) => call.status === 200)).toBe(true);
    expect(Math.max(...healthy.map((call) => call.ms))).toBeLessThan(TIMEOUT_MS);
    // The gigabyte was cut long before its end: far under 1 GiB left the fake provider...
    expect(emulator.hugeBodiesSent.length).toBe(2);
    for (const bytes of emulator.hugeBodiesSent) expect(bytes).toBeLessThan(64 * 1024 * 1024);
    // ...and the server never held anything like it.
    expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);

    // Every failed attempt is metered, and a stalled provider left nothing in flight.
    const csv = await client.request<string>('GET', '/v1/usage.csv', { token: owner.accessToken });
    const [header = '', ...rows] = csv.text.trim().split(/\r?\n/);
    const outcomeColumn = header.split(',').indexOf('outcome');
    const outcomes = rows.map((row) => row.split(',')[outcomeColumn]);
    const failed = outcomes.filter((outcome) => outcome !== 'ok');
    expect(failed.length, JSON.stringify(failed.slice(0, 20)) + header).toBe(faults.length * 2);
    expect(outcomes.filter((outcome) => outcome === 'ok').length).toBe(5 + healthy.length);
    expect((await enrich(healthyKey, 'anthropic')).status).toBe(200);
    process.stderr.write(`provider faults: RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB; gigabyte cut after ${emulator.hugeBodiesSent.map((b) => (b / 2 ** 20).toFixed(1)).join(', ')} MiB\n`);
  });
});
