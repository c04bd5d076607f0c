// Side panel entry: renders the React root; the view lives in src/ui/sidepanel.
import { createRoot } from 'react-dom/client';
import { SidePanelApp } from '../../src/ui/sidepanel/app';
import '../../src/ui/styles.css';

const root = document.getElementById('root');
if (root) createRoot(root).render(<SidePanelApp />);
