// The `code` a Node or library error carries (ENOENT, EISDIR, UND_ERR_CONNECT_TIMEOUT, ...): safe to
// report or branch on, unlike the message, which can name paths and hosts.
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
