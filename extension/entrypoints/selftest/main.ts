// Crypto self-test page: runs the shared CRYPTO.md v1 vectors in this browser and shows the
// outcome (the end-to-end tests read it too). Linked from the popup's settings.
import { checkVectors } from '@byok/shared/crypto/vectors/check-vectors';
import '../../src/ui/styles.css';

const output = document.getElementById('result');

checkVectors().then(
  ({ checked }) => {
    if (!output) return;
    output.textContent = `Passed: ${checked} vectors match.`;
    output.dataset.ok = 'true';
    output.dataset.checked = String(checked);
  },
  (error: unknown) => {
    if (!output) return;
    output.textContent = `Failed: ${error instanceof Error ? error.message : 'unknown error'}`;
    output.dataset.ok = 'false';
  },
);
