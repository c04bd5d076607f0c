// The real companion as its own process, as `pnpm --filter @byok/server start` runs it (node on the
// esbuild bundle in server/dist), for tests that must kill -9 it or measure its memory, and for the
// benchmarks: BYOK_PORT=0, the URL parsed from its `listening on` line, stdout and stderr kept for
// the leak canary. Other helper processes (the provider emulator) run from source under tsx. Every
// process started here is ended by its pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const LISTENING = /listening on (http:\/\/[^\s"]+)/;

export interface SpawnedServer {
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote so far (stdout then stderr lines, interleaved as received). */
  readonly output: string[];
  /** Resident set size in bytes, from /proc (Linux). */
  rss(): number;
  /** SIGKILL: no shutdown, no checkpoint, exactly a crash. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit (the clean shutdown path). */
  stop(): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** A node process (the built companion, or an entry run under tsx), started and seen ready. */
export interface SpawnedProcess {
  readonly pid: number;
  /** The first capture of the `ready` pattern in its stdout. */
  readonly found: string;
  /** Everything the process wrote so far (stdout then stderr lines, interleaved as received); empty with keepOutput: false. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  /** SIGTERM and wait for the exit (the clean shutdown path). */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  /** The whole environment of the process, on top of PATH and HOME. */
  readonly env: Record<string, string>;
  /** A line of its stdout that says it is ready; its first capture group is `found`. */
  readonly ready: RegExp;
  /** Node options before the entry point (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly startTimeoutMs?: number;
  /** false: drain the output without keeping it (a benchmark's request log). Default true. */
  readonly keepOutput?: boolean;
}

/** Starts `entry` (relative to the repository root) with node and the tsx loader, and waits until it is ready. */
export function spawnTsx(entry: string, options: SpawnOptions): Promise<SpawnedProcess> {
  return spawnNode(['--import', 'tsx', entry], entry, options);
}

const SERVER_BUNDLE = join('server', 'dist', 'main.mjs');
let serverBuilt = false;

/**
 * Builds server/dist (server/scripts/build.mjs, a fraction of a second) once per process. Under
 * vitest the e2e and stress projects' global setup has built it before any test file runs, and test
 * files must not rebuild it while another file's companion may be starting from it.
 */
export function ensureServerBuilt(): void {
  if (serverBuilt || process.env.VITEST !== undefined) return;
  buildServer();
  serverBuilt = true;
}

/** `pnpm --filter @byok/server build`, synchronously. */
export function buildServer(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'server', 'scripts', 'build.mjs')], { stdio: 'inherit' });
}

/** Starts node with `args` (from the repository root) and waits until it is ready; `entry` names it in errors. */
async function spawnNode(args: readonly string[], entry: string, options: SpawnOptions): Promise<SpawnedProcess> {
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${entry}`);
  const keep = options.keepOutput !== false;
  const output: string[] = [];
  // The last lines, kept even without keepOutput, for the error of a process that did not start.
  const recent: string[] = [];
  // 'close', not 'exit': by then its stdout and stderr are read to the end, so `output` is complete.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let started = false;
  const found = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not start: ${recent.join('\n')}`));
    }, options.startTimeoutMs ?? 30_000);
    let pending = '';
    const remember = (line: string): void => {
      if (keep) output.push(line);
      if (started) return;
      recent.push(line);
      if (recent.length > 5) recent.shift();
    };
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        remember(line);
        const match = options.ready.exec(line);
        if (!started && match?.[1]) {
          started = true;
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => remember(chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}) before it was ready: ${recent.join('\n')}`));
    });
  });
  return {
    pid,
    found,
    output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
      return exited;
    },
  };
}

export async function spawnServer(
  env: Record<string, string>,
  options: Pick<SpawnOptions, 'nodeArgs' | 'startTimeoutMs' | 'keepOutput'> = {},
): Promise<SpawnedServer> {
  ensureServerBuilt();
  const spawned = await spawnNode(['--enable-source-maps', SERVER_BUNDLE], SERVER_BUNDLE, {
    ...options,
    env: { BYOK_PORT: '0', BYOK_HOST: '127.0.0.1', ...env },
    ready: LISTENING,
  });
  const { pid, exited } = spawned;
  return {
    url: spawned.found,
    pid,
    output: spawned.output,
    exited,
    rss() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      return kb === undefined ? Number.NaN : Number(kb) * 1024;
    },
    async kill9() {
      process.kill(pid, 'SIGKILL');
      await exited;
    },
    stop: () => spawned.stop(),
  };
}
