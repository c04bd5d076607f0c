// Imported first by the popup entry so that reading the cached picture from IndexedDB starts
// before React and the rest of the bundle are evaluated.
import { readSnapshot, type PopupSnapshot } from '../../src/ui/popup/snapshot';

export const earlySnapshot: Promise<PopupSnapshot | null> = readSnapshot()
  .catch(() => null)
  .finally(() => performance.mark('byok:snapshot'));
