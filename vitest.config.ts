import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: `pnpm test` runs every project below.
// The stress project is long and runs only through `pnpm test:stress`.
export default defineConfig({
  test: {
    // `pnpm test` runs every project but stress; `pnpm test:stress` runs stress alone.
    projects: [
      { test: { name: 'shared', root: './shared', include: ['src/**/*.test.ts'] } },
      { test: { name: 'server', root: './server', include: ['src/**/*.test.ts'], testTimeout: 30_000 } },
      './extension/vitest.config.ts',
      {
        test: {
          name: 'e2e',
          root: './test',
          include: ['**/*.test.ts'],
          exclude: ['stress/**', 'node_modules/**'],
          globalSetup: ['./support/build-server.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'stress',
          root: './test',
          include: ['stress/**/*.test.ts'],
          globalSetup: ['./support/build-server.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
