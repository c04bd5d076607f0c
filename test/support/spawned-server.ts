// The real companion as its own process (node + tsx loader on server/src/main.ts), for tests that
// must kill -9 it or measure its memory: BYOK_PORT=0, the URL parsed from its `listening on` line,
// stdout and stderr kept for the leak canary. Every process started here is ended by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
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

export async function spawnServer(env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<SpawnedServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join('server', 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BYOK_PORT: '0', BYOK_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the server');
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${output.slice(-5).join('\n')}`));
    }, options.startTimeoutMs ?? 30_000);
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        const match = LISTENING.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${output.slice(-5).join('\n')}`));
    });
  });
  return {
    url,
    pid,
    output,
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
    async stop() {
      process.kill(pid, 'SIGTERM');
      return exited;
    },
  };
}
