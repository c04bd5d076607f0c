// `pnpm bench [name...]`: runs every benchmark (or the named ones), writes
// bench/results/<date>.json and prints a Markdown table. Each benchmark runs in a process of its
// own, so that none inherits the heap, the compiled code or the leftover child processes of the
// one before (the Chromium of the extension benchmark slowed the enrichment one down by a third).
// Running some benchmarks replaces their rows in the day's file and keeps the others.
// Benchmarks report; they never assert a time (TESTING.md). Run on an otherwise idle machine.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types';

type Bench = { name: string; load: () => Promise<() => Promise<BenchResult>> };

const BENCHES: Bench[] = [
  { name: 'crypto', load: async () => (await import('./crypto')).runCryptoBench },
  { name: 'extension', load: async () => (await import('./extension')).runExtensionBench },
  { name: 'enrich-overhead', load: async () => (await import('./enrich-overhead')).main },
  { name: 'usage-query', load: async () => (await import('./usage-query')).runUsageQueryBench },
  { name: 'document', load: async () => (await import('./document')).runDocumentBench },
];

/** Child mode: run one benchmark and write its result to `out`. */
async function runChild(name: string, out: string): Promise<void> {
  const bench = BENCHES.find((candidate) => candidate.name === name);
  if (!bench) throw new Error(`unknown benchmark ${name}`);
  const run = await bench.load();
  await writeFile(out, JSON.stringify(await run()));
}

/** Runs one benchmark in a fresh Node process (same loader flags as this one). */
async function runIsolated(name: string, scratch: string): Promise<BenchResult> {
  const out = join(scratch, `${name}.json`);
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, out], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`benchmark ${name} failed (exit ${code})`);
  return JSON.parse(await readFile(out, 'utf8')) as BenchResult;
}

/** Idle and total jiffies of all CPUs from /proc/stat (Linux); undefined elsewhere. */
async function cpuTimes(): Promise<{ idle: number; total: number } | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return undefined;
  }
}

/**
 * Waits (up to 30 s) until the cores have been at least 90% idle for a second: the previous
 * benchmark's browser or disk writes must not be measured as the next one's cost.
 */
async function settle(): Promise<void> {
  for (let waited = 0; waited < 30; waited++) {
    const before = await cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await cpuTimes();
    if (!before || !after || after.total === before.total) return;
    if ((after.idle - before.idle) / (after.total - before.total) >= 0.9) return;
  }
}

async function previousResults(file: string): Promise<BenchResult[]> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { results?: BenchResult[] }).results ?? [];
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !BENCHES.some((bench) => bench.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map((bench) => bench.name).join(', ')}`);
  const fresh: BenchResult[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'byok-bench-'));
  try {
    for (const bench of BENCHES) {
      if (only.length > 0 && !only.includes(bench.name)) continue;
      await settle();
      process.stderr.write(`bench: ${bench.name}...\n`);
      fresh.push(await runIsolated(bench.name, scratch));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(import.meta.dirname, '..', '..', 'bench', 'results');
  const file = join(dir, `${date}.json`);
  await mkdir(dir, { recursive: true });
  // In BENCHES order: this run's results, and today's earlier ones for the benchmarks not rerun.
  const earlier = await previousResults(file);
  const results = BENCHES.flatMap((bench) => fresh.find((r) => r.name === bench.name) ?? earlier.find((r) => r.name === bench.name) ?? []);
  await writeFile(file, JSON.stringify({ date, machine, results }, null, 2) + '\n');

  const lines = [
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (${date})`,
    '',
    '| benchmark | metric | value | unit | note |',
    '| --- | --- | ---: | --- | --- |',
    ...results.flatMap((r) => r.rows.map((row) => `| ${r.name} | ${row.metric} | ${row.value} | ${row.unit} | ${row.note ?? ''} |`)),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

if (process.argv[2] === '--child') await runChild(process.argv[3] ?? '', process.argv[4] ?? '');
else await main();
