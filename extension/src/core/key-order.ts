// The order of the key list wherever it is shown: the user's own keys first, then the
// organization's, each in the position the companion gave it. The popup's first paint (which reads
// IndexedDB itself) and the background's list both use it.
import type { CachedKey } from '../db';

export function byKeyListOrder(a: CachedKey, b: CachedKey): number {
  if (a.scope === b.scope) return a.position - b.position;
  return a.scope === 'user' ? -1 : 1;
}
