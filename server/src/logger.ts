// The server's logger: pino JSON lines on stdout. Every field whose name could hold a secret is
// replaced at any depth before the line is written (ARCHITECTURE.md, HELPERS.md security habits).
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

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
    // Asynchronous: one synchronous write(2) per request line was a visible share of each
    // request under load. Lines written while a write is in flight are batched into the next one.
    // pino flushes such a destination synchronously on process exit (main.ts exits through
    // process.exit after the last line), so shutdown loses nothing.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
