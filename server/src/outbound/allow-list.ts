// Matches a request URL against allow-listed base URLs (the policy's allowedBaseUrls and the
// operator's BYOK_PROVIDER_BASE_URLS). A match lets the call reach private and loopback addresses.
import { normalizeBaseUrl } from '@byok/shared';

/**
 * True when `target` is at or under one of `baseUrls`: same scheme, host and port, and its path
 * equals the base path or continues it after a '/'. Both sides are normalized first, so
 * `http://LOCALHOST:80/v1/` and `http://localhost/v1` are the same base.
 */
export function isUnderAllowedBase(target: URL, baseUrls: readonly string[]): boolean {
  for (const raw of baseUrls) {
    const normalized = normalizeBaseUrl(raw);
    if (normalized === null) continue;
    const base = new URL(normalized);
    if (base.protocol !== target.protocol || base.host !== target.host) continue;
    const basePath = base.pathname.replace(/\/+$/, '');
    if (basePath === '' || target.pathname === basePath || target.pathname.startsWith(`${basePath}/`)) return true;
  }
  return false;
}
