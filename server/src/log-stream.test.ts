// The log stream against real file descriptors: a file, /dev/full (ENOSPC), and a FIFO whose
// reader is gone (EPIPE) or alive but not reading (EAGAIN). Whatever stdout does, lines keep their
// order, flush calls back, and the exit pass returns in bounded time.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('a full disk (ENOSPC) loses lines without throwing; flush calls back and the exit pass returns', async () => {
    const fd = track(openSync('/dev/full', 'w'));
    const stream = new LogStream(fd, { maxDelayMs: 10 });
    for (let index = 0; index < 100; index++) stream.write(line(index, 100));
    await flushed(stream);
    stream.write(line(100));
    const started = Date.now();
    stream.flushSync();
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('a reader that went away (EPIPE) loses lines without throwing; flush calls back and the exit pass returns', async () => {
    const { reader, writer } = fifo('gone');
    closeSync(reader);
    track(writer);
    const stream = new LogStream(writer, { maxDelayMs: 10 });
    for (let index = 0; index < 100; index++) stream.write(line(index, 100));
    await flushed(stream);
    stream.write(line(100));
    const started = Date.now();
    stream.flushSync();
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('a reader that stops reading (EAGAIN): bounded buffering, an exit pass that returns, then every kept line and a count of the lost ones', async () => {
    const { reader, writer } = fifo('stalled');
    track(reader);
    track(writer);
    const stream = new LogStream(writer, { maxDelayMs: 10, retryMs: 20, maxBufferedBytes: 64 * 1024, exitWriteMs: 100 });
    // About 450 KiB: a pipe holds 64 KiB, the buffer 64 KiB more; the rest is dropped.
    for (let index = 0; index < 3000; index++) stream.write(line(index, 130));
    let done = false;
    stream.flush(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(done).toBe(false);
    // At exit nothing is written while the earlier write waits on the pipe; the pass returns at once.
    const started = Date.now();
    stream.flushSync();
    expect(Date.now() - started).toBeLessThan(50);

    // The reader comes back: everything kept arrives, in order, with a warning that counts the rest.
    let received = '';
    while (!done) {
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
});
