// The companion's log output: JSON lines written to a file descriptor (stdout) in batches, without
// ever blocking the event loop on a reader and without ever keeping the process from exiting.
//
// sonic-boom (pino's default destination) did the batching before; its synchronous flush at exit
// (sonic-boom 4) retries every write error but EAGAIN every 100 ms for ever, so a companion whose
// log reader had gone (EPIPE) or whose disk was full (ENOSPC) never exited. What this stream
// promises instead:
// - a line waits at most `maxDelayMs`, or until `minBytes` are buffered;
// - one write at a time, in order; a partial write goes on from where it stopped;
// - a full pipe (EAGAIN) is tried again every `retryMs`; meanwhile lines are buffered up to
//   `maxBufferedBytes`, and lines past that are dropped and counted;
// - any other write error (EPIPE, ENOSPC, EIO...) loses that batch, counted; later lines are tried
//   again, so logging resumes once the disk has room;
// - once a write goes through again, a warning line says how many lines were lost;
// - `flushSync` (at exit) writes what is left in one bounded pass: it gives up on any error, tries
//   a full pipe again for at most `exitWriteMs`, and writes nothing while an earlier write is still
//   under way (that write may be blocked on a pipe nobody reads, and so would this one).
import { write as fsWrite, writeSync } from 'node:fs';

export interface LogStreamOptions {
  readonly minBytes?: number;
  readonly maxDelayMs?: number;
  readonly maxBufferedBytes?: number;
  readonly retryMs?: number;
  readonly exitWriteMs?: number;
}

const DEFAULTS = { minBytes: 4096, maxDelayMs: 100, maxBufferedBytes: 4 * 1024 * 1024, retryMs: 100, exitWriteMs: 500 } as const;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export class LogStream {
  private readonly options: Required<LogStreamOptions>;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Set while a write (or its wait before a retry) is under way. */
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  /** Lines dropped (buffer full) or lost (write error) since the last warning went out. */
  private lost = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly fd: number,
    options: LogStreamOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  write(line: string): void {
    if (this.pendingBytes + line.length > this.options.maxBufferedBytes) {
      this.lost += 1;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.writing) return; // the write under way starts the next one
    if (this.pendingBytes >= this.options.minBytes) this.startWrite();
    else this.timer ??= setTimeout(() => this.startWrite(), this.options.maxDelayMs).unref();
  }

  /** Calls back once every line written so far has gone out or been given up on. */
  flush(callback: (error?: Error) => void = () => undefined): void {
    if (!this.writing && this.pending.length === 0) {
      callback();
      return;
    }
    this.waiters.push(() => callback());
    if (!this.writing) this.startWrite();
  }

  /** What is left, written synchronously in one bounded pass (at exit). Never throws. */
  flushSync(): void {
    if (this.writing) return;
    let chunk = this.take();
    const deadline = this.clock() + this.options.exitWriteMs;
    while (chunk.length > 0) {
      try {
        chunk = chunk.subarray(writeSync(this.fd, chunk));
      } catch (error) {
        if (errorCode(error) !== 'EAGAIN' || this.clock() >= deadline) return;
        Atomics.wait(sleeper, 0, 0, 10);
      }
    }
  }

  /** Everything pending as one buffer, behind a warning if lines were lost since the last write. */
  private take(): Buffer {
    let text = this.pending.join('');
    if (this.lost > 0) {
      text = `${JSON.stringify({ level: 'warn', time: new Date(this.clock()).toISOString(), lostLogLines: this.lost, msg: 'log lines lost: stdout was full or failing' })}\n${text}`;
      this.lost = 0;
    }
    this.pending = [];
    this.pendingBytes = 0;
    return Buffer.from(text, 'utf8');
  }

  private startWrite(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) {
      this.settle();
      return;
    }
    const lines = this.pending.length;
    this.writing = true;
    this.send(this.take(), lines);
  }

  private send(chunk: Buffer, lines: number): void {
    fsWrite(this.fd, chunk, 0, chunk.length, null, (error, written) => {
      if (error) {
        if (errorCode(error) === 'EAGAIN') {
          setTimeout(() => this.send(chunk, lines), this.options.retryMs).unref();
          return;
        }
        this.lost += lines;
      } else if (written < chunk.length) {
        this.send(chunk.subarray(written), lines);
        return;
      }
      this.writing = false;
      if (this.pendingBytes >= this.options.minBytes || this.waiters.length > 0) this.startWrite();
      else if (this.pending.length > 0) this.timer ??= setTimeout(() => this.startWrite(), this.options.maxDelayMs).unref();
      else this.settle();
    });
  }

  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
