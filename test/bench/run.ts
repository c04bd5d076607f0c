// `pnpm bench`: runs every benchmark, writes bench/results/<date>.json and prints a Markdown table.
// Benchmarks report; they never assert a time (TESTING.md). Run on an otherwise idle machine.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './types';

type Bench = { name: string; load: () => Promise<() => Promise<BenchResult>> };

const BENCHES: Bench[] = [
  { name: 'crypto', load: async () => (await import('./crypto')).runCryptoBench },
  { name: 'extension', load: async () => (await import('./extension')).runExtensionBench },
  { name: 'enrich-overhead', load: async () => (await import('./enrich-overhead')).main },
  { name: 'usage-query', load: async () => (await import('./usage-query')).runUsageQueryBench },
  { name: 'document', load: async () => (await import('./document')).runDocumentBench },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const results: BenchResult[] = [];
  for (const bench of BENCHES) {
    if (only.length > 0 && !only.includes(bench.name)) continue;
    process.stderr.write(`bench: ${bench.name}...\n`);
    const run = await bench.load();
    results.push(await run());
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(import.meta.dirname, '..', '..', 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${date}.json`), JSON.stringify({ date, machine, results }, null, 2) + '\n');

  const lines = [
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (${date})`,
    '',
    '| benchmark | metric | value | unit | note |',
    '| --- | --- | ---: | --- | --- |',
    ...results.flatMap((r) => r.rows.map((row) => `| ${r.name} | ${row.metric} | ${row.value} | ${row.unit} | ${row.note ?? ''} |`)),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
