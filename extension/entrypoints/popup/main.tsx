// Popup entry: renders the React root with the cached picture from IndexedDB (read while the
// bundle loads); everything else lives in src/ui/popup.
import { earlySnapshot } from './early-snapshot';
import { createRoot } from 'react-dom/client';
import { PopupApp } from '../../src/ui/popup/app';
import '../../src/ui/styles.css';

performance.mark('byok:scripts');
document.body.classList.add('popup');
const root = document.getElementById('root');
if (root) {
  const mount = root;
  void earlySnapshot.then((snapshot) => createRoot(mount).render(<PopupApp initial={snapshot} />));
}
