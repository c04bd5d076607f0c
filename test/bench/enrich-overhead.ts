// Benchmark (not a test): the same short summary request sent directly to the provider emulator
// and through POST /v1/enrich with a fresh grant each, at concurrency 1 and 50, side by side in one
// run. Three processes on the same cores: the companion (as `pnpm --filter @byok/server start`
// would run it), the emulator (test/emulator/serve.ts; it stands in for a provider on another
// machine, so both paths cross a process boundary to reach it), and this one, the load generator.
// Grants and request bodies are made before the timed part (they are the client's cost), and both
// paths are sent the same way over one keep-alive agent. Reports the CPU time per request of each
// process next to the latencies, so that a result on a loaded machine can be read. Prints a
// Markdown table and returns the numbers; never asserts a time.
// Run: pnpm exec tsx test/bench/enrich-overhead.ts [--requests 10000] [--warmup 1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request as httpRequest } from 'node:http';
import { createGrant, unwrapDek } from '@byok/shared';
import { TestClient } from '../../server/src/testing/client';
import { summaryChunkPrompt } from '../../server/src/enrichment/prompts';
import { chatRequestBody } from '../../server/src/providers/openai-chat';
import { readProcStat, STAT_FIELD, USER_HZ } from '../support/proc-stat';
import { LeakCanary } from '../support/leak-canary';
import { percentile } from '../support/open-loop';
import { spawnServer, spawnTsx, type SpawnedProcess, type SpawnedServer } from '../support/spawned-server';
import { type BenchResult, type BenchRow, numberArgument } from './types';

export interface LatencyStats {
  readonly requests: number;
  readonly concurrency: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requestsPerSecond: number;
  readonly errors: number;
  /**
   * CPU time per request, in ms, of each process (all its threads): the companion, the emulator,
   * and this one (the load generator). Shows where the cores go when they are the limit.
   */
  readonly cpuMsPerRequest: { readonly companion: number; readonly emulator: number; readonly generator: number };
  /**
   * The companion's main thread alone (its event loop, where requests are served), user and
   * system time apart, in ms per request: what bounds it when one core is not enough.
   */
  readonly companionMainThreadMsPerRequest: { readonly user: number; readonly system: number };
}

export interface EnrichOverheadResult extends BenchResult {
  readonly name: 'enrich-overhead';
  readonly direct: { readonly c1: LatencyStats; readonly c50: LatencyStats };
  readonly companion: { readonly c1: LatencyStats; readonly c50: LatencyStats };
  /** Companion minus direct, in ms. */
  readonly overhead: { readonly p50C1Ms: number; readonly p99C1Ms: number; readonly p50C50Ms: number; readonly p99C50Ms: number };
  readonly markdown: string;
}

export interface EnrichOverheadOptions {
  /**
   * Requests per measurement at concurrency 50 (a fifth of it at concurrency 1). 10,000 is several
   * seconds: long enough that the old-generation collections and this machine's neighbours are
   * averaged in rather than landing, or not, in a one-second window.
   */
  readonly requests?: number;
  /**
   * Requests sent down each path before anything is timed, so that the numbers are the steady
   * state: V8 compiles the hot paths in the background for the first several hundred requests,
   * which costs CPU and latency that a running companion does not pay again.
   */
  readonly warmup?: number;
  readonly print?: boolean;
}

const DEFAULT_REQUESTS = 10_000;
const DEFAULT_WARMUP = 1_000;

const TEXT = 'The companion forwards this short paragraph to the provider. It measures how much time the route adds.';

/** User and system CPU seconds from a /proc `stat` file; NaN where it cannot be read. */
function cpuOf(statFile: string): { user: number; system: number } {
  const field = readProcStat(statFile);
  if (field === undefined) return { user: Number.NaN, system: Number.NaN };
  return { user: field(STAT_FIELD.utime) / USER_HZ, system: field(STAT_FIELD.stime) / USER_HZ };
}

/** CPU seconds used so far by process `pid` (user + system, all threads); NaN where /proc is absent. */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const { user, system } = cpuOf(`/proc/${pid}/stat`);
  return user + system;
}

/** The same for the main thread of process `pid` alone (its event loop), user and system apart. */
function mainThreadCpu(pid: number | undefined): { user: number; system: number } {
  return pid === undefined ? { user: Number.NaN, system: Number.NaN } : cpuOf(`/proc/${pid}/task/${pid}/stat`);
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Runs `total` requests with `concurrency` workers; each call returns true on success.
 * `companionPid` is the process whose CPU time is charged to the companion (none for direct calls).
 */
async function measure(total: number, concurrency: number, call: (index: number) => Promise<boolean>, pids: { emulator: number | undefined; companion?: number | undefined }): Promise<LatencyStats> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const companionPid = pids.companion;
  const companionCpuStart = processCpuSeconds(companionPid);
  const mainThreadStart = mainThreadCpu(companionPid);
  const emulatorCpuStart = processCpuSeconds(pids.emulator);
  const generatorCpuStart = ownCpuSeconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const index = next++;
        const begin = performance.now();
        const ok = await call(index).catch(() => false);
        latencies.push(performance.now() - begin);
        if (!ok) errors += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const companionCpu = companionPid === undefined ? 0 : processCpuSeconds(companionPid) - companionCpuStart;
  const mainThreadEnd = mainThreadCpu(companionPid);
  const emulatorCpu = processCpuSeconds(pids.emulator) - emulatorCpuStart;
  const generatorCpu = ownCpuSeconds() - generatorCpuStart;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    requests: total,
    concurrency,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    requestsPerSecond: Math.round(total / seconds),
    errors,
    cpuMsPerRequest: { companion: round((companionCpu * 1000) / total), emulator: round((emulatorCpu * 1000) / total), generator: round((generatorCpu * 1000) / total) },
    companionMainThreadMsPerRequest: {
      user: round(((mainThreadEnd.user - mainThreadStart.user) * 1000) / total),
      system: round(((mainThreadEnd.system - mainThreadStart.system) * 1000) / total),
    },
  };
}

/** One POST over a keep-alive agent; resolves with the status once the body is read. */
function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (incoming) => {
      incoming.on('data', () => undefined);
      incoming.on('end', () => resolve(incoming.statusCode ?? 0));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The emulator in a process of its own (test/emulator/serve.ts), knowing `keys`; with its base URL per provider. */
async function startEmulatorProcess(keys: Record<string, string>): Promise<{ urls: Record<string, string>; process: SpawnedProcess }> {
  const spawned = await spawnTsx(join('test', 'emulator', 'serve.ts'), { env: { EMULATOR_KEYS: JSON.stringify(keys) }, ready: /BYOK_PROVIDER_BASE_URLS='([^']+)'/ });
  return { urls: JSON.parse(spawned.found) as Record<string, string>, process: spawned };
}

function row(path: string, stats: LatencyStats): string {
  const cpu = stats.cpuMsPerRequest;
  const companionCpu = path === 'direct' ? '-' : cpu.companion.toFixed(2);
  return `| ${path} | ${stats.concurrency} | ${stats.requests} | ${stats.p50Ms.toFixed(2)} | ${stats.p99Ms.toFixed(2)} | ${stats.requestsPerSecond} | ${stats.errors} | ${companionCpu} | ${cpu.emulator.toFixed(2)} | ${cpu.generator.toFixed(2)} |`;
}

export async function runEnrichOverhead(options: EnrichOverheadOptions = {}): Promise<EnrichOverheadResult> {
  const total50 = options.requests ?? DEFAULT_REQUESTS;
  const total1 = Math.max(50, Math.round(total50 / 5));
  const warmup = options.warmup ?? DEFAULT_WARMUP;
  const apiKey = new LeakCanary().key('openai');
  // The emulator stands in for a provider on another machine: in a process of its own, so that the
  // direct path crosses a process boundary just as the companion's call to the provider does.
  const emulator = await startEmulatorProcess({ openai: apiKey });
  const openaiUrl = emulator.urls.openai ?? '';
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-bench-'));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let server: SpawnedServer | undefined;
  try {
    // As `pnpm --filter @byok/server start` runs it. BYOK_BENCH_NODE_ARGS (e.g. "--cpu-prof
    // --cpu-prof-dir=/tmp/prof") profiles it; its request log is drained, not kept.
    server = await spawnServer(
      { BYOK_DATA_DIR: dataDir, BYOK_PROVIDER_BASE_URLS: JSON.stringify(emulator.urls), BYOK_RATE_LIMITS: 'off' },
      { nodeArgs: (process.env.BYOK_BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''), keepOutput: false },
    );
    const client = new TestClient(server.url);
    const user = await client.register();
    const put = await client.putKey(user, { provider: 'openai', apiKey });
    const secretId = put.sent.secretId;
    const keySet = await client.grantKeys();

    // Grants are made up front (the extension makes them on the user's machine): the timed part
    // is the server's work, including opening the grant.
    const grantCount = warmup + total1 + total50;
    const grants: string[] = [];
    for (let index = 0; index < grantCount; index++) {
      const dek = await unwrapDek(user.kek, put.sent.sealed.wrappedDek);
      grants.push(await createGrant({ keySet, userId: user.userId, secretId, dek, purpose: 'enrich' }));
      dek.fill(0);
    }
    // The request bodies too: building them is the client's cost, not the companion's.
    const companionBodies = grants.map((grant) =>
      JSON.stringify({ task: 'summary', input: { kind: 'selection', text: TEXT }, provider: 'openai', grants: [grant] }),
    );
    let bodyIndex = 0;

    const prompt = summaryChunkPrompt(TEXT, { index: 0, total: 1 });
    const directBody = JSON.stringify(chatRequestBody({ provider: 'openai', model: 'gpt-4o-mini', apiKey, baseUrl: openaiUrl, allowedBaseUrls: [] }, prompt, true));
    const directUrl = new URL(`${openaiUrl}/chat/completions`);
    const directHeaders = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    const direct = async (): Promise<boolean> => (await post(agent, directUrl, directHeaders, directBody)) === 200;
    const companionUrl = new URL(`${server.url}/v1/enrich`);
    const companionHeaders = { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` };
    const viaCompanion = async (): Promise<boolean> => (await post(agent, companionUrl, companionHeaders, companionBodies[bodyIndex++] ?? '')) === 200;

    // Warm both paths (JIT, connection pools, SQLite page cache).
    const directPids = { emulator: emulator.process.pid };
    const companionPids = { emulator: emulator.process.pid, companion: server.pid };
    await measure(warmup, 10, direct, directPids);
    await measure(warmup, 10, viaCompanion, companionPids);
    const directC1 = await measure(total1, 1, direct, directPids);
    const companionC1 = await measure(total1, 1, viaCompanion, companionPids);
    const directC50 = await measure(total50, 50, direct, directPids);
    const companionC50 = await measure(total50, 50, viaCompanion, companionPids);

    const round = (value: number): number => Math.round(value * 1000) / 1000;
    const overhead = {
      p50C1Ms: round(companionC1.p50Ms - directC1.p50Ms),
      p99C1Ms: round(companionC1.p99Ms - directC1.p99Ms),
      p50C50Ms: round(companionC50.p50Ms - directC50.p50Ms),
      p99C50Ms: round(companionC50.p99Ms - directC50.p99Ms),
    };
    const markdown = [
      '### Enrichment overhead (direct to the emulator vs through POST /v1/enrich, fresh grant each)',
      '',
      '| path | concurrency | requests | p50 ms | p99 ms | req/s | errors | companion CPU ms/req | emulator CPU ms/req | load generator CPU ms/req |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      row('direct', directC1),
      row('companion', companionC1),
      row('direct', directC50),
      row('companion', companionC50),
      '',
      `Added by the companion: p50 ${overhead.p50C1Ms} ms / p99 ${overhead.p99C1Ms} ms at concurrency 1; p50 ${overhead.p50C50Ms} ms / p99 ${overhead.p99C50Ms} ms at concurrency 50. The companion, the emulator and the load generator each run in a process of their own, all on the same cores. CPU columns: CPU time per request (user + system, all threads) of each process; on this 2-core machine their sum bounds the throughput.`,
    ].join('\n');
    if (options.print !== false) process.stderr.write(`${markdown}\n`);
    const rows: BenchRow[] = [
      { metric: 'direct p50 @1', value: directC1.p50Ms, unit: 'ms' },
      { metric: 'companion p50 @1', value: companionC1.p50Ms, unit: 'ms', note: `+${overhead.p50C1Ms} ms vs direct (target +1 ms)` },
      { metric: 'direct p99 @1', value: directC1.p99Ms, unit: 'ms' },
      { metric: 'companion p99 @1', value: companionC1.p99Ms, unit: 'ms', note: `+${overhead.p99C1Ms} ms vs direct (target +5 ms)` },
      { metric: 'direct p50 @50', value: directC50.p50Ms, unit: 'ms' },
      { metric: 'companion p50 @50', value: companionC50.p50Ms, unit: 'ms', note: `+${overhead.p50C50Ms} ms vs direct` },
      { metric: 'direct p99 @50', value: directC50.p99Ms, unit: 'ms' },
      { metric: 'companion p99 @50', value: companionC50.p99Ms, unit: 'ms', note: `+${overhead.p99C50Ms} ms vs direct` },
      { metric: 'direct throughput @50', value: directC50.requestsPerSecond, unit: 'req/s' },
      { metric: 'companion throughput @50', value: companionC50.requestsPerSecond, unit: 'req/s', note: 'grant-authorized (target 1500)' },
      { metric: 'companion CPU per request @1', value: companionC1.cpuMsPerRequest.companion, unit: 'ms', note: 'all threads of the companion process' },
      { metric: 'companion CPU per request @50', value: companionC50.cpuMsPerRequest.companion, unit: 'ms', note: 'all threads of the companion process' },
      ...[companionC1, companionC50].map((stats): BenchRow => {
        const main = stats.companionMainThreadMsPerRequest;
        return { metric: `companion main thread CPU per request @${stats.concurrency}`, value: round(main.user + main.system), unit: 'ms', note: `user ${main.user} ms, system ${main.system} ms` };
      }),
      { metric: 'emulator CPU per request @50', value: companionC50.cpuMsPerRequest.emulator, unit: 'ms', note: 'same cores as the companion' },
      { metric: 'load generator CPU per request @50', value: companionC50.cpuMsPerRequest.generator, unit: 'ms', note: 'same cores as the companion' },
    ];
    return {
      name: 'enrich-overhead',
      rows,
      direct: { c1: directC1, c50: directC50 },
      companion: { c1: companionC1, c50: companionC50 },
      overhead,
      markdown,
    };
  } finally {
    agent.destroy();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await emulator.process.stop();
  }
}

/** Entry point for the lead's `pnpm bench` runner (`() => Promise<BenchResult>`). */
export const main = (): Promise<EnrichOverheadResult> => runEnrichOverhead();
export const runEnrichOverheadBench = main;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runEnrichOverhead({ requests: numberArgument('requests', DEFAULT_REQUESTS), warmup: numberArgument('warmup', DEFAULT_WARMUP) })
    .then((result) => process.stdout.write(`${JSON.stringify({ ...result, markdown: undefined }, null, 2)}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
