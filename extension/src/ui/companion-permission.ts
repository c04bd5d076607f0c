// The companion URL is a setting; a URL outside the manifest's loopback host permissions is
// requested as an optional host permission. Must be called straight from a click handler
// (permissions.request needs the user's gesture), before any other await.
import { browser } from 'wxt/browser';
import { normalizeBaseUrl } from '@byok/shared/providers/base-url';

export async function requestCompanionPermission(url: string): Promise<boolean> {
  const normalized = normalizeBaseUrl(url);
  if (!normalized) return false;
  const origin = `${new URL(normalized).origin}/*`;
  try {
    return await browser.permissions.request({ origins: [origin] });
  } catch {
    return false;
  }
}
