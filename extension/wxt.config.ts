import { defineConfig } from 'wxt';

// WXT builds the MV3 extension for Chromium (and MV2/MV3 for Firefox with `-b firefox`).
// Loopback on any port is granted up front (the default companion and local test pages); any
// other companion address is asked for at runtime as an optional host permission.
export default defineConfig({
  modules: ['@wxt-dev/module-react'],
  manifest: ({ browser }) => ({
    name: 'BYOK Companion',
    description: 'Bring your own AI key: end-to-end encrypted keys, enrichment from the context menu.',
    permissions: [
      'storage',
      'contextMenus',
      'activeTab',
      'scripting',
      'alarms',
      ...(browser === 'firefox' ? [] : ['sidePanel', 'offscreen']),
    ],
    host_permissions: ['http://127.0.0.1/*', 'http://localhost/*'],
    optional_host_permissions: ['http://*/*', 'https://*/*'],
    ...(browser === 'firefox'
      ? {
          optional_permissions: ['http://*/*', 'https://*/*'],
          browser_specific_settings: {
            gecko: { id: 'byok-companion@example.org', strict_min_version: '115.0', data_collection_permissions: { required: ['none'] } },
          },
        }
      : {}),
  }),
});
