import { defineConfig } from 'wxt';

// WXT builds the MV3 extension for Chromium (and MV2/MV3 for Firefox with `-b firefox`).
export default defineConfig({
  modules: ['@wxt-dev/module-react'],
  manifest: {
    name: 'BYOK Companion',
    description: 'Bring your own AI key: end-to-end encrypted keys, enrichment from the context menu.',
    permissions: ['storage', 'contextMenus', 'sidePanel', 'activeTab', 'scripting', 'alarms'],
    host_permissions: ['http://127.0.0.1:8787/*', 'http://localhost:8787/*'],
    optional_host_permissions: ['http://*/*', 'https://*/*'],
  },
});
