// Matches a request URL against allow-listed base URLs (the policy's allowedBaseUrls and the
// operator's BYOK_PROVIDER_BASE_URLS). A match lets the call reach private and loopback addresses.
import { normalizeBaseUrl } from '@byok/shared';

interface ParsedBase {
  readonly protocol: string;
  readonly host: string;
  /** Without trailing slashes; '' for the root. */
  readonly path: string;
}

// Parsing and normalizing every allow-listed base on every provider call was a visible cost per
// request (a dozen URL parses). The result depends only on the text, so it is remembered; the
// texts come from the operator's configuration and the policies, and the bound keeps a policy
// that changes often from growing the map.
const PARSED_LIMIT = 1_000;
const parsedBases = new Map<string, ParsedBase | null>();

function parseBase(raw: string): ParsedBase | null {
  const known = parsedBases.get(raw);
  if (known !== undefined) return known;
  const normalized = normalizeBaseUrl(raw);
  let parsed: ParsedBase | null = null;
  if (normalized !== null) {
    const base = new URL(normalized);
    parsed = { protocol: base.protocol, host: base.host, path: base.pathname.replace(/\/+$/, '') };
  }
  if (parsedBases.size >= PARSED_LIMIT) parsedBases.clear();
  parsedBases.set(raw, parsed);
  return parsed;
}

/**
 * True when `target` is at or under one of `baseUrls`: same scheme, host and port, and its path
 * equals the base path or continues it after a '/'. Both sides are normalized first, so
 * `http://LOCALHOST:80/v1/` and `http://localhost/v1` are the same base.
 */
export function isUnderAllowedBase(target: URL, baseUrls: readonly string[]): boolean {
  for (const raw of baseUrls) {
    const base = parseBase(raw);
    if (base === null) continue;
    if (base.protocol !== target.protocol || base.host !== target.host) continue;
    if (base.path === '' || target.pathname === base.path || target.pathname.startsWith(`${base.path}/`)) return true;
  }
  return false;
}
