// The log stream against real file descriptors: a file, /dev/full (ENOSPC), and a FIFO whose
// reader is gone (EPIPE) or alive but not reading (EAGAIN). Whatever stdout does, lines keep their
// order, flush calls back, and the exit pass returns in bounded time.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogStream } from './log-stream';

const dir = mkdtempSync(join(tmpdir(), 'byok-log-stream-'));
const open: number[] = [];
afterAll(() => {
  for (const fd of open) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

function track(fd: number): number {
  open.push(fd);
  return fd;
}

const flushed = (stream: LogStream): Promise<void> => new Promise((resolve) => stream.flush(() => resolve()));
const line = (index: number, pad = 0): string => `${JSON.stringify({ n: index, pad: 'x'.repeat(pad) })}\n`;

/** A FIFO with a non-blocking reader and writer (so a full pipe is EAGAIN, not a blocked thread). */
function fifo(name: string): { reader: number; writer: number } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { reader, writer };
}

function drain(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    try {
      const read = readSync(fd, buffer);
      if (read === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, read)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw error;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('LogStream', () => {
  it('writes every line in order, in batches, and calls back on flush', async () => {
    const path = join(dir, 'plain.log');
    const fd = track(openSync(path, 'w'));
    const stream = new LogStream(fd, { maxDelayMs: 50 });
    for (let index = 0; index < 500; index++) stream.write(line(index, 20));
    await flushed(stream);
    const written = readFileSync(path, 'utf8').trim().split('\n').map((text) => (JSON.parse(text) as { n: number }).n);
    expect(written).toEqual(Array.from({ length: 500 }, (_, index) => index));
    // A line alone goes out within maxDelayMs, without a flush.
    stream.write(line(500));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(path, 'utf8')).toContain('"n":500');
    // What is left at exit is written synchronously.
    stream.write(line(501));
    stream.flushSync();
    expect(readFileSync(path, 'utf8')).toContain('"n":501');
  });

  it.each([
    ['a full disk (ENOSPC)', () => track(openSync('/dev/full', 'w'))],
    [
      'a reader that went away (EPIPE)',
      () => {
        const { reader, writer } = fifo('gone');
        closeSync(reader);
        return track(writer);
      },
    ],
  ])('%s loses lines without throwing; flush calls back and the exit pass returns', async (_case, openTarget) => {
    const stream = new LogStream(openTarget(), { maxDelayMs: 10 });
    for (let index = 0; index < 100; index++) stream.write(line(index, 100));
    await flushed(stream);
    stream.write(line(100));
    const started = Date.now();
    stream.flushSync();
    expect(Date.now() - started).toBeLessThan(200);
  });

  /**
   * A stream on a FIFO whose reader does not read, given about 450 KiB: a pipe holds 64 KiB, the
   * buffer 64 KiB more, the rest is dropped. Resolves once a flush is seen waiting on the pipe.
   */
  async function stalled(name: string, options: { exitWriteMs?: number } = {}) {
    const { reader, writer } = fifo(name);
    track(reader);
    track(writer);
    const stream = new LogStream(writer, { maxDelayMs: 10, retryMs: 20, maxBufferedBytes: 64 * 1024, ...options });
    for (let index = 0; index < 3000; index++) stream.write(line(index, 130));
    const state = { done: false };
    stream.flush(() => {
      state.done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(state.done).toBe(false);
    return { reader, stream, state };
  }

  it('a reader that stops reading (EAGAIN): buffering is bounded, and the exit pass gives up within its time', async () => {
    const { stream } = await stalled('stalled-exit', { exitWriteMs: 100 });
    const started = Date.now();
    stream.flushSync();
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('a reader that stops reading, then reads again: every kept line in order, and a count of the dropped ones', async () => {
    const { reader, stream, state } = await stalled('stalled');
    let received = '';
    while (!state.done) {
      received += drain(reader);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stream.write(line(3000));
    await flushed(stream);
    received += drain(reader);
    const parsed = received.trim().split('\n').map((text) => JSON.parse(text) as { n?: number; lostLogLines?: number; level?: string });
    const numbers = parsed.flatMap((entry) => (entry.n === undefined ? [] : [entry.n]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(numbers[0]).toBe(0);
    expect(numbers.at(-1)).toBe(3000);
    const warning = parsed.find((entry) => entry.lostLogLines !== undefined);
    expect(warning).toMatchObject({ level: 'warn' });
    expect((warning?.lostLogLines ?? 0) + numbers.length).toBe(3001);
  });

  it('counts lost lines across batches that fail one after another, and reports them once writes go through', async () => {
    const path = join(dir, 'gone-then-back');
    execFileSync('mkfifo', [path]);
    const firstReader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = track(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    closeSync(firstReader);
    const stream = new LogStream(writer, { maxDelayMs: 10 });
    for (let index = 0; index < 10; index++) stream.write(line(index));
    await flushed(stream);
    for (let index = 10; index < 15; index++) stream.write(line(index));
    await flushed(stream);
    const reader = track(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    stream.write(line(15));
    await flushed(stream);
    const parsed = drain(reader).trim().split('\n').map((text) => JSON.parse(text) as { n?: number; lostLogLines?: number });
    expect(parsed).toEqual([expect.objectContaining({ lostLogLines: 15 }), { n: 15, pad: '' }]);
  });

  it('a process whose stdout is a full pipe nobody reads still exits at once after logging (an exit pass that cannot block)', async () => {
    // A real pipe in blocking mode, as Docker or `| tee` give: its reader stays open and never reads.
    const path = join(dir, 'crash-exit');
    execFileSync('mkfifo', [path]);
    const reader = track(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    const stdout = openSync(path, constants.O_WRONLY);
    // Plain node, as the companion runs: a loader such as tsx touches process.stdout, and Node then
    // makes the pipe non-blocking, which would hide the case.
    const bundle = join(dir, 'log-stream.mjs');
    buildSync({ entryPoints: [fileURLToPath(new URL('./log-stream.ts', import.meta.url))], outfile: bundle, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
    const streamUrl = pathToFileURL(bundle).href;
    // Exactly 64 KiB, a pipe's capacity: the writes complete and leave it full with nothing under
    // way. Then one more line, and leave straight away (as an uncaught exception would).
    const script = [
      `import { LogStream } from ${JSON.stringify(streamUrl)};`,
      'const stream = new LogStream(1);',
      "process.on('exit', () => stream.flushSync());",
      "for (let i = 0; i < 64; i++) stream.write(String(i % 10).repeat(1023) + '\\n');",
      "setTimeout(() => { stream.write('last\\n'); process.exit(3); }, 300);",
    ].join('\n');
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', stdout, 'inherit'] });
    closeSync(stdout);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(3);
    // Start-up, 300 ms, and at most exitWriteMs (500 ms) of trying the full pipe.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(drain(reader).startsWith('0'.repeat(1023))).toBe(true);
  }, 20_000);

  type Parsed = { n?: number; lostLogLines?: number } | 'cut';

  /**
   * 100 lines of 1,000 bytes in one batch to a FIFO: the pipe (64 KiB) takes the first 65 and part
   * of the 66th; then its reader goes away while the rest waits, so the rest fails (EPIPE). Returns
   * the stream and a function that opens a new reader and reads everything up to a flush.
   */
  async function cutBatch(name: string) {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    const firstReader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = track(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    const stream = new LogStream(writer, { minBytes: 1, retryMs: 50 });
    const lineOf = (index: number) => `${JSON.stringify({ n: index, pad: 'x'.repeat(1000 - 16 - String(index).length) })}\n`;
    expect(Buffer.byteLength(lineOf(7))).toBe(1000);
    stream.write(Array.from({ length: 100 }, (_, index) => lineOf(index)).join(''));
    await new Promise((resolve) => setTimeout(resolve, 60));
    closeSync(firstReader);
    await new Promise((resolve) => setTimeout(resolve, 200));
    /** A new reader gets what the pipe took, then what `last` and the flush bring: one entry per line. */
    const readAfter = async (last: string): Promise<Parsed[]> => {
      const reader = track(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      stream.write(last);
      let done = false;
      stream.flush(() => {
        done = true;
      });
      let received = '';
      while (!done) {
        received += drain(reader);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      received += drain(reader);
      return received.trim().split('\n').map((text) => {
        try {
          return JSON.parse(text) as { n?: number; lostLogLines?: number };
        } catch {
          return 'cut';
        }
      });
    };
    return { stream, readAfter };
  }

  const wholeOf = (parsed: Parsed[]): number[] => parsed.flatMap((entry) => (entry !== 'cut' && entry.n !== undefined && entry.n < 100 ? [entry.n] : []));
  const lostIn = (parsed: Parsed[]): number | undefined => parsed.flatMap((entry) => (entry !== 'cut' && entry.lostLogLines !== undefined ? [entry.lostLogLines] : []))[0];

  it('a batch cut short by a failure counts only its unwritten lines as lost, and the cut line is ended before the next one', async () => {
    const { readAfter } = await cutBatch('cut');
    const parsed = await readAfter(line(100));
    // The lines the pipe took whole, one line cut (and ended, so the next line is whole), the warning, the new line.
    const whole = wholeOf(parsed);
    expect(whole).toEqual(Array.from({ length: whole.length }, (_, index) => index));
    expect(parsed.filter((entry) => entry === 'cut')).toHaveLength(1);
    expect(parsed.at(-1)).toEqual({ n: 100, pad: '' });
    // Lost: only what the pipe did not take, the cut line included; not the whole batch.
    expect(lostIn(parsed)).toBe(100 - whole.length);
  });

  it('a cut line stays to be ended, and is not counted, when the batch meant to end it fails too', async () => {
    const { stream, readAfter } = await cutBatch('cut-twice');
    // Still no reader: the batch that starts with the newline ending the cut line fails as well.
    stream.write(line(100));
    await flushed(stream);
    const parsed = await readAfter(line(101));
    expect(parsed.filter((entry) => entry === 'cut')).toHaveLength(1);
    // The rest of the first batch (the cut line included) and line 100.
    expect(lostIn(parsed)).toBe(100 - wholeOf(parsed).length + 1);
    expect(parsed.at(-1)).toEqual({ n: 101, pad: '' });
  });

  it('a flush calls back once the lines written before it are out, even while logging never pauses', async () => {
    const path = join(dir, 'busy.log');
    const stream = new LogStream(track(openSync(path, 'w')), { maxDelayMs: 10 });
    let index = 0;
    let running = true;
    const pump = (): void => {
      if (!running) return;
      stream.write(line(index++));
      setImmediate(pump);
    };
    pump();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const settled = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2_000);
      stream.flush(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    running = false;
    expect(settled).toBe(true);
    await flushed(stream);
  });

  it('limits the buffer in UTF-8 bytes, not characters', async () => {
    const { reader, writer } = fifo('multibyte');
    track(reader);
    track(writer);
    // Nothing is written before the flush: every line waits in the buffer.
    const stream = new LogStream(writer, { minBytes: 1_000_000, maxDelayMs: 60_000, maxBufferedBytes: 30_000 });
    const euros = `${JSON.stringify({ euros: '€'.repeat(1000) })}\n`; // 3,014 bytes of UTF-8 in 1,014 characters
    for (let index = 0; index < 100; index++) stream.write(euros);
    await flushed(stream);
    const lines = drain(reader).trim().split('\n');
    const kept = lines.filter((text) => text.includes('euros')).length;
    expect(kept).toBe(Math.floor(30_000 / Buffer.byteLength(euros)));
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ lostLogLines: 100 - kept });
  });

});
