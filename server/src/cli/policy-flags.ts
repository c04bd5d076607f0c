// `policy set` input: a whole policy as JSON (--json or --file), or flags applied on top of the
// policy in force. Either way the result is checked by the shared Policy schema.
import { readFileSync } from 'node:fs';
import { Policy } from '@byok/shared/plans/policy';
import type { ProviderRule } from '@byok/shared/plans/policy';
import { ProviderId } from '@byok/shared/providers/types';
import { describeIssues } from '../http/validate';
import { CliError, EXIT } from './exit-codes';

export interface PolicyFlags {
  json?: string;
  file?: string;
  byok?: string;
  providerOrder?: string;
  personalProviderLimit?: string;
  platformFallback?: string;
  byokMetering?: string;
  monthlyCalls?: string;
  monthlyCostMicros?: string;
  maxKeyAgeDays?: string;
  allowedBaseUrl?: string[];
  provider?: string[];
}

function usage(message: string): CliError {
  return new CliError(message, EXIT.usage, 'bad_request');
}

function onOff(value: string, flag: string): boolean {
  if (['on', 'true', 'yes', '1'].includes(value)) return true;
  if (['off', 'false', 'no', '0'].includes(value)) return false;
  throw usage(`${flag} must be on or off.`);
}

/** A count, or `unlimited` (null). */
function limit(value: string, flag: string, none = 'unlimited'): number | null {
  if (value === none) return null;
  if (!/^\d{1,15}$/.test(value)) throw usage(`${flag} must be a whole number or ${none}.`);
  return Number(value);
}

/** `openai:byok=off,platform=on` -> the provider and its changed rule. */
function providerRule(text: string, current: Policy['providers']): [ProviderId, ProviderRule] {
  const [id = '', settings = ''] = text.split(':', 2);
  const provider = ProviderId.safeParse(id);
  if (!provider.success || provider.data === 'builtin') throw usage(`--provider: unknown provider "${id}".`);
  const rule: ProviderRule = { ...(current[provider.data] ?? { byok: true, platform: true }) };
  for (const part of settings.split(',')) {
    const [name, value = ''] = part.split('=', 2);
    if (name === 'byok') rule.byok = onOff(value, '--provider byok');
    else if (name === 'platform') rule.platform = onOff(value, '--provider platform');
    else throw usage('--provider takes <id>:byok=on|off,platform=on|off.');
  }
  return [provider.data, rule];
}

function parsePolicy(value: unknown): Policy {
  const parsed = Policy.safeParse(value);
  if (!parsed.success) throw usage(describeIssues(parsed.error, 'policy'));
  return parsed.data;
}

function readJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usage(`${where} is not valid JSON.`);
  }
}

const FLAG_NAMES: (keyof PolicyFlags)[] = [
  'byok',
  'providerOrder',
  'personalProviderLimit',
  'platformFallback',
  'byokMetering',
  'monthlyCalls',
  'monthlyCostMicros',
  'maxKeyAgeDays',
  'allowedBaseUrl',
  'provider',
];

/** The policy `policy set` asks for. `current` is the policy in force (flags apply on top). */
export function policyFromFlags(flags: PolicyFlags, current: Policy): Policy {
  const whole = [flags.json, flags.file].filter((value) => value !== undefined).length;
  const anyFlag = FLAG_NAMES.some((name) => flags[name] !== undefined);
  if (whole > 1 || (whole === 1 && anyFlag)) throw usage('Give the policy as --json, as --file, or as flags; not several.');
  if (!anyFlag && whole === 0) throw usage('Nothing to set: give --json, --file or at least one flag (see policy set --help).');
  if (flags.json !== undefined) {
    const value = readJson(flags.json, '--json');
    // Accept the API's `{ policy }` envelope as well as the bare policy.
    return parsePolicy(typeof value === 'object' && value !== null && 'policy' in value ? value.policy : value);
  }
  if (flags.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.file, 'utf8');
    } catch {
      throw usage('--file cannot be read.');
    }
    const value = readJson(text, '--file');
    return parsePolicy(typeof value === 'object' && value !== null && 'policy' in value ? value.policy : value);
  }
  const next: Policy = structuredClone(current);
  if (flags.byok !== undefined) next.byokEnabled = onOff(flags.byok, '--byok');
  if (flags.providerOrder !== undefined) next.providerOrder = onOff(flags.providerOrder, '--provider-order');
  if (flags.personalProviderLimit !== undefined) next.personalProviderLimit = limit(flags.personalProviderLimit, '--personal-provider-limit');
  if (flags.platformFallback !== undefined) next.platformFallback = flags.platformFallback as Policy['platformFallback'];
  if (flags.byokMetering !== undefined) next.byokMetering = flags.byokMetering as Policy['byokMetering'];
  if (flags.monthlyCalls !== undefined) next.platformQuota.monthlyCalls = limit(flags.monthlyCalls, '--monthly-calls');
  if (flags.monthlyCostMicros !== undefined) next.platformQuota.monthlyCostMicros = limit(flags.monthlyCostMicros, '--monthly-cost-micros');
  if (flags.maxKeyAgeDays !== undefined) next.maxKeyAgeDays = limit(flags.maxKeyAgeDays, '--max-key-age-days', 'none');
  if (flags.allowedBaseUrl !== undefined) next.allowedBaseUrls = flags.allowedBaseUrl.filter((url) => url !== '');
  for (const text of flags.provider ?? []) {
    const [id, rule] = providerRule(text, next.providers);
    next.providers[id] = rule;
  }
  return parsePolicy(next);
}
