// The server's logger: pino JSON lines on stdout. Every field whose name could hold a secret is
// replaced at any depth before the line is written (ARCHITECTURE.md, HELPERS.md security habits).
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { LogStream } from './log-stream';

export type { Logger } from 'pino';

const REDACTED_KEYS = new Set(
  [
    'authorization',
    'cookie',
    'grant',
    'grants',
    'key',
    'apiKey',
    'dek',
    'refreshToken',
    'accessToken',
    'authProof',
    'newAuthProof',
    'sealed',
    'upload',
    'passphrase',
    'wrappedDek',
    'ct',
    'iv',
    'code',
    'inviteCode',
  ].map((name) => name.toLowerCase()),
);

// Error codes are a useful log field; only the invite `code` is secret. Keep `code` for AppError-like
// objects (a string among the stable codes) by redacting it only where it is not a short slug.
const SAFE_CODE = /^[a-z_]{2,40}$/;

export const REDACTED = '[redacted]';

export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 12) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    const lower = name.toLowerCase();
    if (REDACTED_KEYS.has(lower)) {
      out[name] = lower === 'code' && typeof inner === 'string' && SAFE_CODE.test(inner) ? inner : REDACTED;
    } else {
      out[name] = redactDeep(inner, depth + 1);
    }
  }
  return out;
}

export interface LoggerOptions {
  level: string;
  /** Where lines go; stdout when absent. Tests inject a stream to capture every line. */
  destination?: DestinationStream;
}

/** The longest a line waits in the buffer before it is written. */
export const LOG_FLUSH_MS = 100;

/**
 * stdout, written in batches (log-stream.ts): a line waits until 4 KiB are buffered or
 * LOG_FLUSH_MS have passed, whichever comes first. One write per request line cost each request a
 * write(2) from a libuv thread and a wake-up of whoever reads the logs: at one request at a time,
 * about 0.3 ms of the enrichment benchmark's 1.5 ms. What is left at exit is written in one bounded
 * pass, however the process ends (main.ts leaves through exitAfterLogs, which first waits for it
 * asynchronously); a SIGKILL can lose the last LOG_FLUSH_MS of request lines, never an audit event
 * (those are rows).
 */
function batchedStdout(): LogStream {
  const stdout = new LogStream(1, { maxDelayMs: LOG_FLUSH_MS });
  process.on('exit', () => stdout.flushSync());
  return stdout;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object) as Record<string, unknown>,
        bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
      },
    },
    options.destination ?? batchedStdout(),
  );
}

/** The longest exitAfterLogs waits for the buffered lines before it leaves anyway. */
export const LOG_EXIT_WAIT_MS = 2_000;

/**
 * process.exit(code) once the buffered log lines are written, or after LOG_EXIT_WAIT_MS (a reader
 * that stopped reading). The exit handler's synchronous pass then writes nothing while that write
 * is still under way, so the process leaves whatever became of stdout.
 */
export function exitAfterLogs(logger: Logger, code: number): void {
  const leave = (): never => process.exit(code);
  setTimeout(leave, LOG_EXIT_WAIT_MS);
  logger.flush(leave);
}
