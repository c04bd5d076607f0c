// Server configuration: command-line flags over BYOK_* environment variables (API.md "Running the
// server"), parsed by one zod schema so a bad value stops the start with a clear message.
import { isAbsolute, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';

import { PLAN_IDS } from '@byok/shared/plans/plans';
import { normalizeBaseUrl } from '@byok/shared/providers/base-url';
import { isProviderId } from '@byok/shared/providers/catalog';
import { AZURE_DEFAULT_API_VERSION } from './providers/azure-openai';
import { DEFAULT_MAX_CONNECTIONS_PER_ORIGIN } from './outbound/guarded-client';
import { PROVIDER_IDS, type ProviderId } from '@byok/shared/providers/types';

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes' || value === 'on');

/** A setting written as a JSON object: parsed, or one issue that says it is not one (never echoing it). */
const jsonSetting = z.string().transform((text, context) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    context.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }
});

const jsonStringMap = jsonSetting.pipe(z.record(z.string(), z.string()));

/**
 * Names a key that is not a provider that makes calls. An unknown name is not repeated: it is the
 * operator's typing, and a key pasted into the wrong place must not reach the log.
 */
function notACallingProvider(name: string): string {
  const callers = PROVIDER_IDS.filter((id) => id !== 'builtin').join(', ');
  return isProviderId(name) ? `"${name}" is not a provider that makes calls` : `an entry is not for a provider that makes calls (these are: ${callers})`;
}

function hasCredentials(url: string): boolean {
  const parsed = new URL(url.trim());
  return parsed.username !== '' || parsed.password !== '';
}

/**
 * BYOK_PROVIDER_BASE_URLS, checked and normalized once here: every key a provider that makes calls,
 * every value an http(s) URL without credentials (they would be dropped without a word, and never
 * travel in a URL anyway). The outbound rules trust these hosts, so a typo stops the start instead
 * of leaving a provider on its public host. Messages name the provider, never the URL.
 */
const operatorBaseUrls = jsonStringMap.transform((entries, context) => {
  const normalized: Partial<Record<ProviderId, string>> = {};
  for (const [provider, url] of Object.entries(entries)) {
    if (!isProviderId(provider) || provider === 'builtin') {
      context.addIssue({ code: 'custom', message: notACallingProvider(provider) });
      continue;
    }
    const base = normalizeBaseUrl(url);
    if (base === null || hasCredentials(url)) {
      context.addIssue({ code: 'custom', message: `the URL for ${provider} is not an http(s) URL without credentials` });
      continue;
    }
    normalized[provider] = base;
  }
  return normalized as Readonly<Partial<Record<ProviderId, string>>>;
});

/** The longest call any setting may allow: an hour (a long local generation on a CPU). */
export const MAX_PROVIDER_TIMEOUT_MS = 3_600_000;

const timeoutMs = z.number().int().min(1).max(MAX_PROVIDER_TIMEOUT_MS);

/**
 * BYOK_PROVIDER_TIMEOUTS_MS: a provider's own bound on one call, in place of BYOK_PROVIDER_TIMEOUT_MS
 * (a model on a CPU-only Ollama may need minutes for one summary). Every key a provider that makes
 * calls, every value whole milliseconds from 1 to an hour.
 */
const operatorTimeouts = jsonSetting
  .pipe(z.record(z.string(), z.unknown()))
  .transform((entries, context) => {
    const timeouts: Partial<Record<ProviderId, number>> = {};
    for (const [provider, value] of Object.entries(entries)) {
      if (!isProviderId(provider) || provider === 'builtin') {
        context.addIssue({ code: 'custom', message: notACallingProvider(provider) });
        continue;
      }
      const parsed = timeoutMs.safeParse(value);
      if (!parsed.success) {
        context.addIssue({ code: 'custom', message: `the timeout for ${provider} is not a whole number of ms from 1 to ${MAX_PROVIDER_TIMEOUT_MS}` });
        continue;
      }
      timeouts[provider] = parsed.data;
    }
    return timeouts as Readonly<Partial<Record<ProviderId, number>>>;
  });

const ConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  dataDir: z.string().min(1).default('./data'),
  masterKey: z.string().optional(),
  openSignup: booleanText.default(false),
  defaultPlan: z.enum(PLAN_IDS).default('pro'),
  platformKeysFile: z.string().optional(),
  providerBaseUrls: operatorBaseUrls.optional().transform((value) => value ?? {}),
  // null: the default, any chrome-extension:// or moz-extension:// origin.
  allowedOrigins: z
    .string()
    .optional()
    .transform((value) =>
      value === undefined || value.trim() === ''
        ? null
        : value
            .split(',')
            .map((origin) => origin.trim())
            .filter((origin) => origin.length > 0),
    ),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  providerTimeoutMs: z.coerce.number().pipe(timeoutMs).default(60_000),
  providerTimeoutsMs: operatorTimeouts.optional().transform((value) => value ?? {}),
  // Calls (so connections) under way at once to one provider origin (outbound/origin-limit.ts); calls beyond wait.
  providerMaxConnections: z.coerce.number().int().min(1).max(65_536).default(DEFAULT_MAX_CONNECTIONS_PER_ORIGIN),
  // Azure's data-plane `api-version`: a date, GA or `-preview`. Reasoning deployments (o1, o3-mini
  // and later) refuse versions older than 2024-12-01-preview; the GA default is the stable one.
  azureApiVersion: z
    .string()
    .refine((value) => /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(value), { message: 'must be a date such as 2024-10-21 or 2025-04-01-preview' })
    .default(AZURE_DEFAULT_API_VERSION),
  rateLimits: z
    .enum(['on', 'off'])
    .default('on')
    .transform((value) => value === 'on'),
});

export type Config = z.output<typeof ConfigSchema>;
export type PlanId = Config['defaultPlan'];

const ENV_NAMES: Record<keyof Config, string> = {
  host: 'BYOK_HOST',
  port: 'BYOK_PORT',
  dataDir: 'BYOK_DATA_DIR',
  masterKey: 'BYOK_MASTER_KEY',
  openSignup: 'BYOK_OPEN_SIGNUP',
  defaultPlan: 'BYOK_DEFAULT_PLAN',
  platformKeysFile: 'BYOK_PLATFORM_KEYS_FILE',
  providerBaseUrls: 'BYOK_PROVIDER_BASE_URLS',
  allowedOrigins: 'BYOK_ALLOWED_ORIGINS',
  logLevel: 'BYOK_LOG_LEVEL',
  providerTimeoutMs: 'BYOK_PROVIDER_TIMEOUT_MS',
  providerTimeoutsMs: 'BYOK_PROVIDER_TIMEOUTS_MS',
  providerMaxConnections: 'BYOK_PROVIDER_MAX_CONNECTIONS',
  azureApiVersion: 'BYOK_AZURE_API_VERSION',
  rateLimits: 'BYOK_RATE_LIMITS',
};

/** Raw (string) inputs keyed like Config; flags win over the environment. */
export type RawConfig = Partial<Record<keyof Config, string>>;

export function parseFlags(argv: readonly string[]): RawConfig {
  const program = new Command()
    .name('byok-server')
    .option('--host <host>', 'listen address')
    .option('--port <port>', 'listen port (0 picks a free one)')
    .option('--data-dir <dir>', 'database, grant keys and master key directory')
    .option('--open-signup <bool>', 'let anyone register as member')
    .option('--default-plan <plan>', 'plan of the first organization')
    .option('--platform-keys-file <file>', 'JSON file of operator keys')
    .option('--allowed-origins <list>', 'comma-separated CORS origins')
    .option('--log-level <level>', 'pino level')
    .option('--rate-limits <on|off>', 'rate limiting')
    .allowExcessArguments(false)
    .exitOverride();
  program.parse([...argv], { from: 'user' });
  const options = program.opts<Record<string, string | undefined>>();
  const raw: RawConfig = {};
  const keys: (keyof Config)[] = ['host', 'port', 'dataDir', 'openSignup', 'defaultPlan', 'platformKeysFile', 'allowedOrigins', 'logLevel', 'rateLimits'];
  for (const key of keys) {
    const value = options[key];
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}

export function configFromEnv(env: Record<string, string | undefined>): RawConfig {
  const raw: RawConfig = {};
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof Config, string][]) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return raw;
}

/** Parses flags and environment; throws an Error naming the bad setting (never its value). */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): Config {
  const config = parseConfig({ ...configFromEnv(env), ...parseFlags(argv) });
  config.dataDir = dataDirFrom(config.dataDir, env);
  return config;
}

/**
 * The data directory from a flag or BYOK_DATA_DIR (empty or absent: ./data), for the server and the
 * admin CLI alike, so that both open the same database. `pnpm --filter @byok/server start` and `cli`
 * run inside server/; a relative path means relative to where the operator typed the command (pnpm
 * and npm pass it as INIT_CWD), as they would expect.
 */
export function dataDirFrom(value: string | undefined, env: Record<string, string | undefined>): string {
  const dir = value === undefined || value === '' ? './data' : value;
  const invokedFrom = env.INIT_CWD;
  return invokedFrom && !isAbsolute(dir) ? resolve(invokedFrom, dir) : dir;
}

export function parseConfig(raw: RawConfig): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const names = result.error.issues.map((issue) => {
      const key = issue.path[0];
      const name = typeof key === 'string' && key in ENV_NAMES ? ENV_NAMES[key as keyof Config] : String(key);
      // Our own messages say what is wrong without the value; zod's generic ones are left out.
      return issue.code === 'custom' ? `${name} (${issue.message})` : name;
    });
    throw new Error(`Invalid configuration: ${[...new Set(names)].join(', ')}`);
  }
  return result.data;
}

/** The bound on one call to `provider`: its own BYOK_PROVIDER_TIMEOUTS_MS entry, else BYOK_PROVIDER_TIMEOUT_MS. */
export type ProviderTimeouts = (provider: ProviderId) => number;

export function providerTimeouts(config: Pick<Config, 'providerTimeoutMs' | 'providerTimeoutsMs'>): ProviderTimeouts {
  return (provider) => config.providerTimeoutsMs[provider] ?? config.providerTimeoutMs;
}
