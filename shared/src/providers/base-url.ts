// Base URL normalization (CRYPTO.md section 8). The normalized string is bound into a sealed
// key's AAD, so client and server must produce exactly the same bytes for the same URL.

/**
 * WHATWG serialization with lowercase scheme and host, no default port, no user info, no query,
 * no fragment and no trailing '/'. Returns null for anything that is not an http(s) URL.
 */
export function normalizeBaseUrl(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '') return null;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  // The URL parser already lowercases the scheme and host and drops a default port.
  return url.href.replace(/\/+$/, '');
}

/** True when `url` is already in normalized form, which is what the server requires at save. */
export function isNormalizedBaseUrl(url: string): boolean {
  return normalizeBaseUrl(url) === url;
}
