// Benchmark (not a test): one 2 MiB document enriched (summary + entities) through a real
// companion process and the provider emulator, split into its parts: extraction (done by the
// extension before upload, so the server's share is parsing the JSON body), chunking (the
// server's chunker on the same text), provider time (the wall time during which at least one
// provider call was open, as the emulator in this process timed its answers) and our overhead
// (the rest: HTTP, grants, prompts, merging, usage rows). Twice: an instant provider and one that takes
// 100 ms per call. Then the builtin provider, computed on the companion's own thread: how long
// other requests wait meanwhile. Medians of a few runs; never asserts.
// Run: pnpm exec tsx test/bench/document.ts [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findModel } from '@byok/shared';
import { chunkCharsForContext, chunkText } from '../../server/src/enrichment/chunking';
import { TestClient } from '../../server/src/testing/client';
import { startEmulator } from '../emulator';
import { LeakCanary } from '../support/leak-canary';
import { spawnServer } from '../support/spawned-server';
import { percentiles, type BenchResult, type BenchRow, numberArgument } from './types';

const DOCUMENT_BYTES = 2 * 1024 * 1024;
const NAMES = ['Ada Lovelace', 'Charles Babbage', 'Grace Hopper', 'Alan Turing', 'Harvard University', 'London', 'Cambridge', 'IBM'];

/** About 2 MiB of paragraphs of plain sentences that mention people, places and organizations. */
export function makeDocument(bytes = DOCUMENT_BYTES): string {
  const paragraphs: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const a = NAMES[i % NAMES.length] ?? '';
    const b = NAMES[(i * 3 + 1) % NAMES.length] ?? '';
    const paragraph = `Section ${i}. ${a} corresponded with ${b} about the analytical engine in ${1830 + (i % 90)}. The notes describe loops, subroutines and the storage of numbers. Later readers found the method general enough for any symbolic computation.`;
    paragraphs.push(paragraph);
    size += Buffer.byteLength(paragraph) + 2;
  }
  return paragraphs.join('\n\n').slice(0, bytes);
}

/** Wall time between `from` and `to` covered by at least one of the (overlapping) intervals, in ms. */
function busyMs(intervals: ReadonlyArray<readonly [number, number]>, from: number, to: number): number {
  const inside = intervals
    .map(([start, end]): [number, number] => [Math.max(start, from), Math.min(end, to)])
    .filter(([start, end]) => end > start)
    .sort((left, right) => left[0] - right[0]);
  let busy = 0;
  let reach = from;
  for (const [start, end] of inside) {
    if (end <= reach) continue;
    busy += end - Math.max(start, reach);
    reach = end;
  }
  return busy;
}

const median = (samples: number[]): number => Math.round(percentiles(samples).p50 * 10) / 10;

export async function runDocumentBench(runs = numberArgument('runs', 3)): Promise<BenchResult> {
  const text = makeDocument();
  const body = JSON.stringify({ task: 'enrich', provider: 'openai', input: { kind: 'document', text }, grants: ['x'] });
  const parse = Array.from({ length: 10 }, () => {
    const started = performance.now();
    JSON.parse(body);
    return performance.now() - started;
  });
  const contextTokens = findModel('openai', 'gpt-4o-mini')?.contextTokens ?? 128_000;
  let chunkCount = 0;
  const chunking = Array.from({ length: 10 }, () => {
    const started = performance.now();
    chunkCount = chunkText(text, chunkCharsForContext(contextTokens)).length;
    return performance.now() - started;
  });
  const rows: BenchRow[] = [
    { metric: 'document size', value: Buffer.byteLength(text), unit: 'bytes', note: `${chunkCount} chunks for gpt-4o-mini` },
    { metric: 'extraction: JSON body parse on the server', value: median(parse), unit: 'ms', note: 'text extraction itself runs in the extension' },
    { metric: 'chunking', value: median(chunking), unit: 'ms' },
  ];

  for (const latencyMs of [0, 100]) {
    const emulator = await startEmulator();
    const dataDir = mkdtempSync(join(tmpdir(), 'byok-bench-doc-'));
    const server = await spawnServer({
      BYOK_DATA_DIR: dataDir,
      BYOK_PROVIDER_BASE_URLS: JSON.stringify({ openai: emulator.urls.openai }),
      BYOK_RATE_LIMITS: 'off',
      BYOK_LOG_LEVEL: 'warn',
    });
    try {
      if (latencyMs > 0) emulator.setBehavior({ provider: 'openai' }, { latencyMs });
      const client = new TestClient(server.url);
      const user = await client.register();
      const key = new LeakCanary().key('openai');
      emulator.addKey('openai', key);
      const put = await client.putKey(user, { provider: 'openai', apiKey: key });
      const totals: number[] = [];
      const providerWall: number[] = [];
      const calls: number[] = [];
      for (let run = 0; run < runs + 1; run++) {
        const grant = await client.grant(user, put.sent.secretId, { wrappedDek: put.sent.sealed.wrappedDek });
        const before = emulator.answered.length;
        const started = performance.now();
        const response = await client.request<{ usage: { calls: number } }>('POST', '/v1/enrich', {
          token: user.accessToken,
          body: { task: 'enrich', provider: 'openai', input: { kind: 'document', text }, grants: [grant] },
        });
        const ended = performance.now();
        if (response.status !== 200) throw new Error(`document enrichment answered ${response.status}`);
        if (run === 0) continue; // warm-up
        totals.push(ended - started);
        providerWall.push(busyMs(emulator.answered, started, ended));
        calls.push(emulator.answered.length - before);
      }
      const total = median(totals);
      const provider = median(providerWall);
      const overhead = Math.round((total - provider - median(chunking)) * 10) / 10;
      const label = latencyMs === 0 ? 'instant provider' : `provider ${latencyMs} ms per call`;
      rows.push(
        { metric: `2 MiB enrich total (${label})`, value: total, unit: 'ms', note: `${median(calls)} provider calls, 4 at a time` },
        { metric: `2 MiB enrich provider time (${label})`, value: provider, unit: 'ms', note: 'wall time with a provider call open' },
        { metric: `2 MiB enrich our overhead (${label})`, value: overhead, unit: 'ms', note: 'total - provider - chunking' },
      );
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await emulator.close();
    }
  }
  rows.push(...(await builtinRows(text, runs)));
  return { name: 'document', rows };
}

/**
 * The same document through the builtin provider, which computes on the companion's thread: its
 * total time, and the longest a GET /healthz sent every 5 ms meanwhile waited (what every other
 * request on the companion waits at worst while such a document is enriched).
 */
async function builtinRows(text: string, runs: number): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-bench-doc-'));
  const server = await spawnServer({ BYOK_DATA_DIR: dataDir, BYOK_RATE_LIMITS: 'off', BYOK_LOG_LEVEL: 'warn' });
  try {
    const client = new TestClient(server.url);
    const user = await client.register();
    const totals: number[] = [];
    const waits: number[] = [];
    for (let run = 0; run < runs + 1; run++) {
      let longest = 0;
      let enriching = true;
      const probe = (async () => {
        while (enriching) {
          const started = performance.now();
          await fetch(`${server.url}/healthz`).then((response) => response.arrayBuffer());
          longest = Math.max(longest, performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const started = performance.now();
      const response = await client.request('POST', '/v1/enrich', {
        token: user.accessToken,
        body: { task: 'enrich', provider: 'builtin', input: { kind: 'document', text }, grants: [] },
      });
      const ended = performance.now();
      enriching = false;
      await probe;
      if (response.status !== 200) throw new Error(`builtin document enrichment answered ${response.status}`);
      if (run === 0) continue; // warm-up (compromise builds its lexicon on first use)
      totals.push(ended - started);
      waits.push(longest);
    }
    return [
      { metric: '2 MiB enrich total (builtin provider)', value: median(totals), unit: 'ms', note: 'computed on the companion, no network' },
      { metric: 'longest /healthz wait during a 2 MiB builtin enrich', value: median(waits), unit: 'ms', note: 'what other requests wait at worst meanwhile' },
    ];
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runDocumentBench();
  for (const row of result.rows) process.stdout.write(`| ${row.metric} | ${row.value} | ${row.unit} | ${row.note ?? ''} |\n`);
}
