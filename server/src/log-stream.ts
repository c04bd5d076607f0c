// The companion's log output: JSON lines written to a file descriptor (stdout) in batches, without
// ever blocking the event loop on a reader.
//
// sonic-boom (pino's default destination) did the batching before; its synchronous flush at exit
// (sonic-boom 4) retries every write error but EAGAIN every 100 ms for ever, so a companion whose
// log reader had gone (EPIPE) or whose disk was full (ENOSPC) never exited. What this stream
// promises instead:
// - a line waits at most `maxDelayMs`, or until `minBytes` are buffered;
// - one write at a time, in order; a partial write goes on from where it stopped;
// - a full pipe (EAGAIN) is tried again, soon after a partial write (so that another writer of the
//   pipe has little time to land inside a line of ours), then every `retryMs`; meanwhile lines are
//   buffered up to `maxBufferedBytes` (UTF-8 bytes; with the chunk being written, up to twice
//   that), and lines past that are dropped and counted;
// - any other write error (EPIPE, ENOSPC, EIO...) loses the lines not yet written, counted; later
//   lines are tried again, so logging resumes once the disk has room; a line cut by the failure is
//   ended with a newline first, so the next batch starts a line of its own;
// - a warning line goes out with the next lines written and says how many were lost before them;
// - `flushSync` (at exit) writes what is left in one pass bounded by `exitWriteMs`, and gives up on
//   any error but EAGAIN. It writes nothing while an asynchronous write is in the thread pool: that
//   one's outcome is unknown, and writing after it could duplicate or reorder lines.
//
// Where stdout is a pipe, Linux lets us reopen it through /proc/self/fd with a description of our
// own, made non-blocking without touching the inherited one: a full pipe is then EAGAIN and nothing
// ever blocks. A socket (systemd's journal, the stdio of a process Node started) cannot be
// reopened, nor can a pipe another user created (Docker's, under `USER`). Writes to those block in
// Node's thread pool while their reader is stalled, unless the descriptor is non-blocking, and
// Node waits for its thread pool when the process exits. In the companion it is: Node puts a pipe
// or socket stdout in non-blocking mode as soon as it sets up `process.stdout`, which it does when
// the checkpoint worker starts (to forward the worker's output). Requests are never held up either way.
import { constants, fstatSync, openSync, write as fsWrite, writeSync } from 'node:fs';
import { errorCodeOf } from './services/error-code';

export interface LogStreamOptions {
  readonly minBytes?: number;
  readonly maxDelayMs?: number;
  readonly maxBufferedBytes?: number;
  readonly retryMs?: number;
  readonly exitWriteMs?: number;
}

const DEFAULTS = { minBytes: 4096, maxDelayMs: 100, maxBufferedBytes: 4 * 1024 * 1024, retryMs: 100, exitWriteMs: 500 } as const;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The descriptor to write `fd` through: a pipe reopened non-blocking where that works (Linux), else
 * `fd` itself. Reopening gives a description of its own, so the flags of the inherited descriptor
 * (shared with other processes) stay as they were.
 */
function target(fd: number): number {
  try {
    if (process.platform === 'linux' && fstatSync(fd).isFIFO()) return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    // No reader left (ENXIO), no /proc: write to the descriptor as it is.
  }
  return fd;
}

interface Chunk {
  /** What is left to write. */
  bytes: Buffer;
  /** What went out last ended inside a line: a failure now leaves that line cut. */
  midLine: boolean;
  /** EAGAIN answers in a row, which space out the retries. */
  attempts: number;
  /** The count its leading warning line carries, while that line is not written whole (else 0). */
  carried: number;
  /** Where that warning line ends in `bytes`. */
  warningEnd: number;
  /** It starts with the newline that ends a line an earlier failure cut, not written yet. */
  endsCut: boolean;
  /** The count of lines accepted once its last line was (flushes wait for a count). */
  upTo: number;
}

const NEWLINE = 0x0a;

/** Lines that end in `bytes`: what is lost when they cannot be written. */
function linesIn(bytes: Buffer): number {
  let count = 0;
  for (let index = bytes.indexOf(NEWLINE); index !== -1; index = bytes.indexOf(NEWLINE, index + 1)) count += 1;
  return count;
}

export class LogStream {
  private readonly options: Required<LogStreamOptions>;
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** A write in the thread pool, whose outcome is not known yet. */
  private inPool = false;
  /** A chunk waiting to be tried again after EAGAIN. */
  private retrying: Chunk | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Lines dropped (buffer full) or lost (write error) since the last warning went out. */
  private lost = 0;
  /** The last write failed after writing part of a line: the next one starts with a newline. */
  private cut = false;
  /** Lines accepted so far, and how many of them have gone out or been given up on. */
  private accepted = 0;
  private finished = 0;
  private waiters: Array<{ upTo: number; callback: () => void }> = [];

  constructor(
    fd: number,
    options: LogStreamOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.fd = target(fd);
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + bytes > this.options.maxBufferedBytes) {
      this.lost += 1;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.accepted += 1;
    this.schedule();
  }

  /**
   * Calls back once every line written so far has gone out or been given up on; lines written
   * after this call do not hold it up.
   */
  flush(callback: (error?: Error) => void = () => undefined): void {
    if (this.finished >= this.accepted) {
      callback();
      return;
    }
    this.waiters.push({ upTo: this.accepted, callback: () => callback() });
    this.schedule();
  }

  /** What is left, written synchronously in one bounded pass (at exit). Never throws. */
  flushSync(): void {
    if (this.inPool) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const chunks = [...(this.retrying ? [this.retrying] : []), ...(this.pending.length > 0 ? [this.take()] : [])];
    this.retrying = undefined;
    const deadline = this.clock() + this.options.exitWriteMs;
    for (const chunk of chunks) {
      let bytes = chunk.bytes;
      while (bytes.length > 0) {
        try {
          bytes = bytes.subarray(writeSync(this.fd, bytes));
        } catch (error) {
          if (errorCodeOf(error) !== 'EAGAIN' || this.clock() >= deadline) return;
          Atomics.wait(sleeper, 0, 0, 10);
        }
      }
    }
  }

  private busy(): boolean {
    return this.inPool || this.retrying !== undefined;
  }

  /**
   * What comes next for the pending lines: nothing while a write is under way (its end calls this
   * again), a write now when a batch is full or a flush waits, else one within maxDelayMs.
   */
  private schedule(): void {
    if (this.busy() || this.pending.length === 0) return;
    if (this.pendingBytes >= this.options.minBytes || this.waiters.length > 0) this.startWrite();
    else this.timer ??= setTimeout(() => this.startWrite(), this.options.maxDelayMs).unref();
  }

  /** Everything pending as one chunk, behind a warning if lines were lost since the last write. */
  private take(): Chunk {
    const lines = this.pending.join('');
    const carried = this.lost;
    const endsCut = this.cut;
    const warning =
      (endsCut ? '\n' : '') +
      (carried > 0 ? `${JSON.stringify({ level: 'warn', time: new Date(this.clock()).toISOString(), lostLogLines: carried, msg: 'log lines lost: stdout was full or failing' })}\n` : '');
    this.lost = 0;
    this.cut = false;
    this.pending = [];
    this.pendingBytes = 0;
    return {
      bytes: Buffer.from(warning + lines, 'utf8'),
      midLine: false,
      attempts: 0,
      carried,
      warningEnd: carried > 0 ? Buffer.byteLength(warning) : 0,
      endsCut,
      upTo: this.accepted,
    };
  }

  /** Writes what is pending (a warning waits for a line to go with). */
  private startWrite(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) this.send(this.take());
  }

  private send(chunk: Chunk): void {
    this.inPool = true;
    fsWrite(this.fd, chunk.bytes, 0, chunk.bytes.length, null, (error, written) => {
      this.inPool = false;
      if (error) {
        if (errorCodeOf(error) === 'EAGAIN') {
          // Inside a line, the pipe usually has room again within a few ms: 5, 10, 20... ms up to retryMs.
          const delay = chunk.midLine ? Math.min(this.options.retryMs, 5 * 2 ** chunk.attempts) : this.options.retryMs;
          const next = { ...chunk, attempts: chunk.attempts + 1 };
          this.retrying = next;
          this.retryTimer = setTimeout(() => {
            this.retrying = undefined;
            this.retryTimer = undefined;
            this.send(next);
          }, delay).unref();
          return;
        }
        // Lost, counted in the next warning: its lines, not the newline that was to end a cut
        // line (which is still to be ended), and a warning that did not go out hands on its count.
        this.lost += linesIn(chunk.bytes) - (chunk.endsCut ? 1 : 0) + (chunk.carried > 0 ? chunk.carried - 1 : 0);
        this.cut ||= chunk.midLine || chunk.endsCut;
      } else if (written < chunk.bytes.length) {
        const warningOut = written >= chunk.warningEnd;
        this.send({
          ...chunk,
          bytes: chunk.bytes.subarray(written),
          midLine: chunk.bytes[written - 1] !== NEWLINE,
          attempts: 0,
          carried: warningOut ? 0 : chunk.carried,
          warningEnd: warningOut ? 0 : chunk.warningEnd - written,
          endsCut: false,
        });
        return;
      }
      this.finished = chunk.upTo;
      this.settle();
      this.schedule();
    });
  }

  /** Calls back the flushes whose lines have all gone out or been given up on. */
  private settle(): void {
    const ready = this.waiters.filter((waiter) => waiter.upTo <= this.finished);
    this.waiters = this.waiters.filter((waiter) => waiter.upTo > this.finished);
    for (const waiter of ready) waiter.callback();
  }
}
