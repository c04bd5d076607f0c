// Options page entry: renders the React root; the page lives in src/ui/options.
import { createRoot } from 'react-dom/client';
import { OptionsApp } from '../../src/ui/options/app';
import '../../src/ui/styles.css';

const root = document.getElementById('root');
if (root) createRoot(root).render(<OptionsApp />);
