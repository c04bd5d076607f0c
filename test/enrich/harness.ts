// A companion (the real server, in process) wired to the provider emulator through
// BYOK_PROVIDER_BASE_URLS, with a registered owner, helpers to store keys and make grants, and a
// record of every response for the leak canary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../server/src/testing/test-server';
import { TestClient, type ApiResponse, type TestUser } from '../../server/src/testing/client';
import { startEmulator, type Emulator, type EmulatedProvider } from '../emulator';
import { LeakCanary, filesBelow, responseHaystacks, type Haystack } from '../support/leak-canary';

export interface Harness {
  readonly emulator: Emulator;
  readonly server: TestServer;
  readonly client: TestClient;
  readonly owner: TestUser;
  readonly canary: LeakCanary;
  /** Platform keys the operator file holds (registered with the emulator). */
  readonly platformKeys: Partial<Record<EmulatedProvider, string>>;
  /** Every response seen (bodies and headers), for the canary. */
  readonly seen: Haystack[];
  request<Body = unknown>(method: string, path: string, options?: Parameters<TestClient['request']>[2]): Promise<ApiResponse<Body>>;
  /** Stores a canary key for `provider` (registered with the emulator unless `register` is false). */
  addKey(provider: EmulatedProvider, options?: { register?: boolean; user?: TestUser; baseUrl?: string }): Promise<{ secretId: string; key: string }>;
  grant(secretId: string, purpose?: 'enrich' | 'verify', user?: TestUser): Promise<string>;
  /** Scans logs, responses and every file of the data directory; throws on a finding. */
  assertNoLeaks(): Promise<void>;
  close(): Promise<void>;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface HarnessOptions {
  readonly platform?: EmulatedProvider[];
  readonly extraBaseUrls?: Record<string, string>;
  /** BYOK_PROVIDER_TIMEOUT_MS (default 3 s). */
  readonly timeoutMs?: number;
  /** BYOK_PROVIDER_TIMEOUTS_MS: providers' own bounds. */
  readonly providerTimeouts?: Partial<Record<EmulatedProvider, number>>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await startEmulator();
  const canary = new LeakCanary();
  const platformKeys: Partial<Record<EmulatedProvider, string>> = {};
  for (const provider of options.platform ?? []) {
    const key = canary.key(provider);
    platformKeys[provider] = key;
    emulator.addKey(provider, key);
  }
  const configDir = mkdtempSync(join(tmpdir(), 'byok-platform-'));
  const platformFile = join(configDir, 'platform-keys.json');
  writeFileSync(platformFile, JSON.stringify(platformKeys));
  const server = await startTestServer({
    keepDataDir: true,
    env: {
      BYOK_PROVIDER_BASE_URLS: JSON.stringify({ ...emulator.urls, ...options.extraBaseUrls }),
      BYOK_PROVIDER_TIMEOUT_MS: String(options.timeoutMs ?? 3_000),
      ...(options.providerTimeouts === undefined ? {} : { BYOK_PROVIDER_TIMEOUTS_MS: JSON.stringify(options.providerTimeouts) }),
      BYOK_PLATFORM_KEYS_FILE: platformFile,
      BYOK_RATE_LIMITS: 'off',
      BYOK_OPEN_SIGNUP: 'true',
    },
  });
  const client = new TestClient(server.baseUrl);
  const seen: Haystack[] = [];
  const record = <Body>(label: string, response: ApiResponse<Body>): ApiResponse<Body> => {
    seen.push(...responseHaystacks(label, response));
    return response;
  };
  const owner = await client.register();
  canary.watch(owner.accessToken);

  const harness: Harness = {
    emulator,
    server,
    client,
    owner,
    canary,
    platformKeys,
    seen,
    async request(method, path, requestOptions) {
      return record(`${method} ${path}`, await client.request(method, path, { token: owner.accessToken, ...requestOptions }));
    },
    async addKey(provider, keyOptions = {}) {
      const key = canary.key(provider);
      if (keyOptions.register !== false) emulator.addKey(provider, key);
      const put = await client.putKey(keyOptions.user ?? owner, { provider, apiKey: key, ...(keyOptions.baseUrl === undefined ? {} : { baseUrl: keyOptions.baseUrl }) });
      record('PUT key', put);
      if (put.status !== 201) throw new Error(`storing a ${provider} key failed: ${put.status} ${put.text}`);
      return { secretId: put.sent.secretId, key };
    },
    async grant(secretId, purpose = 'enrich', user = owner) {
      return client.grant(user, secretId, { purpose });
    },
    async assertNoLeaks() {
      canary.assertClean([
        { name: 'server logs', content: server.logs.join('\n') },
        ...seen,
        ...(await filesBelow(server.dataDir)),
      ]);
    },
    async close() {
      await server.close();
      // The closed database (after its final checkpoint) is scanned too.
      canary.assertClean(await filesBelow(server.dataDir));
      rmSync(server.dataDir, { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
      await emulator.close();
    },
  };
  return harness;
}

/** Splits a text/event-stream body into its frames. */
export function parseFrames(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) as unknown };
    });
}
