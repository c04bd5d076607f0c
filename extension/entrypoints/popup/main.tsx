// Popup entry: renders the React root; everything else lives in src/ui/popup.
import { createRoot } from 'react-dom/client';
import { PopupApp } from '../../src/ui/popup/app';
import '../../src/ui/styles.css';

document.body.classList.add('popup');
const root = document.getElementById('root');
if (root) createRoot(root).render(<PopupApp />);
