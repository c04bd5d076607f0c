// Configuration from flags and BYOK_* variables.
import { describe, expect, it } from 'vitest';
import { loadConfig, MAX_PROVIDER_TIMEOUT_MS, providerTimeouts } from './config';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig([], {})).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      dataDir: './data',
      openSignup: false,
      defaultPlan: 'pro',
      allowedOrigins: null,
      logLevel: 'info',
      providerTimeoutMs: 60_000,
      azureApiVersion: '2024-10-21',
      rateLimits: true,
      providerBaseUrls: {},
      providerMaxConnections: 256,
    });
  });

  it('takes the connections per provider origin as a whole number from 1', () => {
    expect(loadConfig([], { BYOK_PROVIDER_MAX_CONNECTIONS: '32' }).providerMaxConnections).toBe(32);
    for (const bad of ['0', '-1', '1.5', 'many']) expect(() => loadConfig([], { BYOK_PROVIDER_MAX_CONNECTIONS: bad })).toThrow(/BYOK_PROVIDER_MAX_CONNECTIONS/);
  });

  it('reads the environment, and flags win', () => {
    const config = loadConfig(['--port', '0', '--data-dir', '/tmp/x'], {
      BYOK_PORT: '9000',
      BYOK_HOST: '0.0.0.0',
      BYOK_OPEN_SIGNUP: 'true',
      BYOK_DEFAULT_PLAN: 'business',
      BYOK_ALLOWED_ORIGINS: 'chrome-extension://abc, https://app.example',
      BYOK_PROVIDER_BASE_URLS: '{"openai":"http://127.0.0.1:9000/v1"}',
      BYOK_RATE_LIMITS: 'off',
      BYOK_PROVIDER_TIMEOUT_MS: '5000',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/tmp/x',
      openSignup: true,
      defaultPlan: 'business',
      allowedOrigins: ['chrome-extension://abc', 'https://app.example'],
      providerBaseUrls: { openai: 'http://127.0.0.1:9000/v1' },
      rateLimits: false,
      providerTimeoutMs: 5000,
    });
  });

  it("takes Azure's api-version as a date, GA or preview, and nothing else", () => {
    expect(loadConfig([], { BYOK_AZURE_API_VERSION: '2025-04-01-preview' }).azureApiVersion).toBe('2025-04-01-preview');
    expect(() => loadConfig([], { BYOK_AZURE_API_VERSION: '2025-04-01&key=x' })).toThrow(/BYOK_AZURE_API_VERSION \(must be a date/);
    expect(() => loadConfig([], { BYOK_AZURE_API_VERSION: 'latest' })).toThrow(/BYOK_AZURE_API_VERSION/);
  });

  it('names a bad setting without echoing its value', () => {
    expect(() => loadConfig([], { BYOK_DEFAULT_PLAN: 'gold' })).toThrow(/BYOK_DEFAULT_PLAN/);
    expect(() => loadConfig([], { BYOK_PORT: '99999' })).toThrow(/BYOK_PORT/);
    expect(() => loadConfig([], { BYOK_PROVIDER_BASE_URLS: 'not json secret' })).toThrow(/BYOK_PROVIDER_BASE_URLS/);
    expect(() => loadConfig([], { BYOK_PROVIDER_BASE_URLS: 'not json secret' })).not.toThrow(/secret/);
  });

  it("takes providers' own timeouts over the default, and stops on a provider or value it cannot use", () => {
    const config = loadConfig([], { BYOK_PROVIDER_TIMEOUT_MS: '20000', BYOK_PROVIDER_TIMEOUTS_MS: '{"ollama":600000,"vllm":1}' });
    expect(config.providerTimeoutsMs).toEqual({ ollama: 600_000, vllm: 1 });
    const timeoutFor = providerTimeouts(config);
    expect([timeoutFor('ollama'), timeoutFor('vllm'), timeoutFor('openai')]).toEqual([600_000, 1, 20_000]);
    expect(loadConfig([], {}).providerTimeoutsMs).toEqual({});
    const timeouts = (value: string): unknown => loadConfig([], { BYOK_PROVIDER_TIMEOUTS_MS: value }).providerTimeoutsMs;
    expect(() => timeouts('600000')).toThrow(/BYOK_PROVIDER_TIMEOUTS_MS/);
    expect(() => timeouts('{"olama":600000}')).toThrow(/BYOK_PROVIDER_TIMEOUTS_MS \(an entry is not for a provider that makes calls \(these are: /);
    expect(() => timeouts('{"sk-ant-pasted-by-mistake":600000}')).not.toThrow(/pasted/);
    expect(() => timeouts('{"builtin":600000}')).toThrow(/"builtin" is not a provider that makes calls/);
    for (const bad of ['"600000"', '0', '1.5', '3600001', 'null']) {
      expect(() => timeouts(`{"ollama":${bad}}`)).toThrow(/the timeout for ollama is not a whole number of ms from 1 to 3600000/);
    }
    // Node's timers fire at once past 2^31-1 ms: the default is bounded the same way.
    expect(() => loadConfig([], { BYOK_PROVIDER_TIMEOUT_MS: '3000000000' })).toThrow(/BYOK_PROVIDER_TIMEOUT_MS/);
    expect(loadConfig([], { BYOK_PROVIDER_TIMEOUT_MS: String(MAX_PROVIDER_TIMEOUT_MS) }).providerTimeoutMs).toBe(MAX_PROVIDER_TIMEOUT_MS);
  });

  it('normalizes the operator base URLs once, and stops on a provider or URL it cannot use', () => {
    const urls = (value: Record<string, string>): unknown => loadConfig([], { BYOK_PROVIDER_BASE_URLS: JSON.stringify(value) }).providerBaseUrls;
    expect(urls({ openai: ' HTTP://Proxy.Example:443/v1/?q=1#f', ollama: 'http://127.0.0.1:11434/' })).toEqual({
      openai: 'http://proxy.example:443/v1',
      ollama: 'http://127.0.0.1:11434',
    });
    expect(() => urls({ opnai: 'https://proxy.example/v1' })).toThrow(/BYOK_PROVIDER_BASE_URLS \(an entry is not for a provider that makes calls \(these are: openai, anthropic, /);
    // An unknown name is not repeated: it may be a key pasted into the wrong place.
    expect(() => urls({ 'sk-proj-pasted-by-mistake': 'https://proxy.example/v1' })).not.toThrow(/pasted/);
    expect(() => urls({ builtin: 'https://proxy.example' })).toThrow(/"builtin" is not a provider that makes calls/);
    expect(() => urls({ anthropic: 'ftp://proxy.example' })).toThrow(/the URL for anthropic is not an http\(s\) URL/);
    // Credentials would be dropped without a word; the message names the provider, not the URL.
    const withCredentials = (): unknown => urls({ mistral: 'https://user:s3cret-pw@proxy.example' });
    expect(withCredentials).toThrow(/the URL for mistral is not an http\(s\) URL without credentials/);
    expect(withCredentials).not.toThrow(/s3cret|proxy\.example/);
  });
});

describe('data dir', () => {
  it('resolves a relative data dir against the directory the command was typed in (INIT_CWD)', () => {
    expect(loadConfig([], { INIT_CWD: '/home/op/byok' }).dataDir).toBe('/home/op/byok/data');
    expect(loadConfig(['--data-dir', 'var/db'], { INIT_CWD: '/srv' }).dataDir).toBe('/srv/var/db');
    expect(loadConfig([], { INIT_CWD: '/srv', BYOK_DATA_DIR: '/abs/dir' }).dataDir).toBe('/abs/dir');
    expect(loadConfig([], {}).dataDir).toBe('./data');
  });
});
