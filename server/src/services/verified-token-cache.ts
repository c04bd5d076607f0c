// Remembers access tokens whose signature, issuer and audience were verified, keyed by the
// token's SHA-256 (tokens.ts hashToken: the bearer token itself is never kept), until its `exp`. It saves
// the EdDSA verification on every request of a session; it decides nothing else: whether the
// user and the login family are still live is checked against the database on every request.
// The signing key is fixed for the life of the process, so a verified token stays verified.
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface Entry<T> {
  readonly value: T;
  /** The token's `exp`, in seconds. */
  readonly exp: number;
}

export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly capacity = VERIFIED_TOKEN_CACHE_SIZE) {}

  /** The remembered value while `now` (seconds) is before `exp`, as jose's own check. */
  get(key: string, nowSeconds: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.exp <= nowSeconds) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, exp: number): void {
    if (this.entries.size >= this.capacity && !this.entries.has(key)) {
      // Oldest first: a Map iterates in insertion order, and older tokens expire sooner.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, exp });
  }

  get size(): number {
    return this.entries.size;
  }
}
