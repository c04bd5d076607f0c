// The before/after difference of two policies, as the `policy.updated` audit event records it:
// one entry per changed leaf field, named by its dotted path (`providers.openai.byok`).
import type { Policy } from '@byok/shared/plans/policy';
import type { JsonValue } from '../jcs';

export interface PolicyChange {
  field: string;
  before: JsonValue;
  after: JsonValue;
}

type Flat = Map<string, JsonValue>;

function flatten(value: JsonValue, path: string, out: Flat): void {
  // Arrays (allowedBaseUrls) are compared whole: an order change is a change.
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value).sort()) {
      const inner = value[key];
      if (inner !== undefined) flatten(inner, path === '' ? key : `${path}.${key}`, out);
    }
    return;
  }
  out.set(path, value);
}

function toJson(policy: Policy): JsonValue {
  // A policy is plain JSON data by construction (zod-parsed); the round trip drops undefined.
  return JSON.parse(JSON.stringify(policy)) as JsonValue;
}

export function policyDiff(before: Policy, after: Policy): PolicyChange[] {
  const left: Flat = new Map();
  const right: Flat = new Map();
  flatten(toJson(before), '', left);
  flatten(toJson(after), '', right);
  const fields = [...new Set([...left.keys(), ...right.keys()])].sort();
  const changes: PolicyChange[] = [];
  for (const field of fields) {
    const was = left.get(field) ?? null;
    const now = right.get(field) ?? null;
    if (JSON.stringify(was) !== JSON.stringify(now)) changes.push({ field, before: was, after: now });
  }
  return changes;
}
