// The companion URL is a setting; a URL outside the manifest's loopback host permissions is
// requested as an optional host permission. Must be called straight from a click handler
// (permissions.request needs the user's gesture), before any other await.
import { browser } from 'wxt/browser';
import { normalizeBaseUrl } from '@byok/shared/providers/base-url';

/**
 * Hosts the manifest grants over http on every port (wxt.config.ts, host_permissions). A companion
 * there needs no request: Firefox answers `permissions.contains` with false for one port of a
 * granted portless pattern, and would prompt for what it already allows.
 */
const GRANTED_LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost']);

export async function requestCompanionPermission(url: string): Promise<boolean> {
  const normalized = normalizeBaseUrl(url);
  if (!normalized) return false;
  const parsed = new URL(normalized);
  if (parsed.protocol === 'http:' && GRANTED_LOOPBACK_HOSTS.has(parsed.hostname)) return true;
  try {
    return await browser.permissions.request({ origins: [`${parsed.origin}/*`] });
  } catch {
    return false;
  }
}
