// Builds the companion for running (`pnpm --filter @byok/server build`, and `start` before it runs):
// one ES module per entry point in server/dist, with @byok/shared (TypeScript source) bundled in and
// the npm dependencies left to node_modules, plus the files the code opens by path beside it (the
// SQL migrations and the checkpoint worker). Tests of the source run it under tsx; the process a
// user starts runs this, with no transpiler in it (see the README's design notes for why).
import { cp, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((name) => !name.startsWith('@byok/'));

await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts', 'src/cli.ts'],
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning',
});
// Opened relative to the module (new URL(..., import.meta.url)), so they sit next to the bundles.
await cp(new URL('../src/store/migrations/', import.meta.url), new URL('../dist/migrations/', import.meta.url), { recursive: true });
await cp(new URL('../src/store/checkpoint-worker.mjs', import.meta.url), new URL('../dist/checkpoint-worker.mjs', import.meta.url));
