// The real companion, in process, on 127.0.0.1 with a fresh temporary data directory, for tests
// of every package. Every log line is captured in `logs`; restart() reopens the same data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteMount } from '../app';
import { configFromEnv, parseConfig } from '../config';
import type { Config } from '../config';
import type { RateLimitSettings } from '../http/middleware/rate-limit';
import { createLogger } from '../logger';
import { FEATURE_MOUNTS } from '../mounts';
import { startServer } from '../server';
import type { RunningServer } from '../server';
import type { Services } from '../services/services';
import type { Db } from '../store/db';

export interface TestServerOptions extends Partial<Config> {
  /** BYOK_* variables, parsed exactly as the real server parses them (overrides win). */
  env?: Record<string, string>;
  /** Extra routes (e.g. a test-only consumer of grants), mounted after the feature routes. */
  mounts?: RouteMount[];
  /** Mount the feature routes of mounts.ts as the real server does (default true). */
  featureMounts?: boolean;
  rateLimitSettings?: RateLimitSettings;
  /** Keep the data directory after close() (it is removed by default). */
  keepDataDir?: boolean;
}

export interface TestServer {
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly config: Config;
  /** Every log line written so far (JSON text), across restarts. */
  readonly logs: string[];
  /** The live database and services of the current run. */
  readonly db: Db;
  readonly services: Services;
  close(): Promise<void>;
  /** Stops and starts again on the same data directory (the port may change). */
  restart(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { env, mounts, featureMounts, rateLimitSettings, keepDataDir, ...overrides } = options;
  const allMounts = [...(featureMounts === false ? [] : FEATURE_MOUNTS), ...(mounts ?? [])];
  const ownDataDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'byok-test-'));
  const config: Config = {
    ...parseConfig({ logLevel: 'info', ...configFromEnv(env ?? {}) }),
    ...overrides,
    host: '127.0.0.1',
    port: 0,
    dataDir,
  };
  const logs: string[] = [];
  const logger = createLogger({
    level: config.logLevel,
    destination: {
      write(chunk: string) {
        for (const line of chunk.split('\n')) if (line !== '') logs.push(line);
      },
    },
  });
  const start = (): Promise<RunningServer> =>
    startServer(config, {
      logger,
      mounts: allMounts,
      ...(rateLimitSettings ? { rateLimits: rateLimitSettings } : {}),
    });
  let running = await start();
  let closed = false;

  return {
    get baseUrl() {
      return running.url;
    },
    dataDir,
    config,
    logs,
    get db() {
      return running.db;
    },
    get services() {
      return running.services;
    },
    async close() {
      if (closed) return;
      closed = true;
      await running.close();
      if (ownDataDir && !keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await running.close();
      running = await start();
    },
  };
}
