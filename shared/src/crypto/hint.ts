// The only thing about a key anyone may see after sealing: its catalog prefix and last 4
// characters (CRYPTO.md §2). Both client and server compute and validate it the same way.

export interface KeyHint {
  prefix: string;
  last4: string;
}

const LAST4 = /^[A-Za-z0-9_-]{4}$/;
const MIN_KEY_CHARS_FOR_LAST4 = 16;

/**
 * Longest catalog prefix the key starts with ('' when none matches; isValidHint then rejects it
 * unless the provider lists no prefix). last4 is '' for keys under 16 characters, and also when
 * the last 4 characters fall outside [A-Za-z0-9_-], so that a hint never shows anything else.
 */
export function computeHint(apiKey: string, prefixes: readonly string[]): KeyHint {
  let prefix = '';
  for (const candidate of prefixes) {
    if (candidate.length > prefix.length && apiKey.startsWith(candidate)) prefix = candidate;
  }
  const chars = Array.from(apiKey);
  let last4 = '';
  if (chars.length >= MIN_KEY_CHARS_FOR_LAST4) {
    const tail = chars.slice(-4).join('');
    if (LAST4.test(tail)) last4 = tail;
  }
  return { prefix, last4 };
}

/** Server-side check of a client-supplied hint against the provider's catalog prefixes. */
export function isValidHint(hint: KeyHint, prefixes: readonly string[]): boolean {
  if (typeof hint !== 'object' || hint === null) return false;
  const { prefix, last4 } = hint;
  if (typeof prefix !== 'string' || typeof last4 !== 'string') return false;
  if (Object.keys(hint).some((k) => k !== 'prefix' && k !== 'last4')) return false;
  const prefixOk = prefixes.length === 0 ? prefix === '' : prefixes.includes(prefix);
  if (!prefixOk) return false;
  return last4 === '' || LAST4.test(last4);
}

/** Display form, e.g. 'sk-ant-•••xx7K'. */
export function formatHint(hint: KeyHint): string {
  return `${hint.prefix}•••${hint.last4}`;
}
