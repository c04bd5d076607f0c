// JSON Canonicalization Scheme (RFC 8785) for the JSON values the audit chain hashes: null,
// booleans, finite numbers, strings, arrays and plain objects. Keys sort by UTF-16 code units,
// numbers and strings serialize as ECMAScript's JSON.stringify does, which RFC 8785 adopts.

// In a `u` regexp a surrogate pair is one code point, so this matches lone halves only.
const LONE_SURROGATE = /\p{Surrogate}/u;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalize(value: JsonValue): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS cannot encode a non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw new TypeError('JCS cannot encode a lone surrogate');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  const keys = Object.keys(value).sort();
  const members: string[] = [];
  for (const key of keys) {
    const member = value[key];
    if (member === undefined) continue;
    members.push(`${canonicalize(key)}:${canonicalize(member)}`);
  }
  return `{${members.join(',')}}`;
}
