// An open-loop load generator: starts `rate` operations per second for `seconds`, on schedule
// whether or not earlier ones have finished (so a slow server shows up as latency, not as a
// politely lower rate), bounded by `maxInFlight`, and stops by itself. Reports every latency.
export interface OpenLoopResult {
  started: number;
  ok: number;
  failed: number;
  /** Milliseconds of every operation that finished, in start order. */
  latencies: number[];
  /** First few failure descriptions (never a secret: callers pass statuses and codes). */
  failures: string[];
  elapsedSeconds: number;
  /** Operations that could not start on time because `maxInFlight` was reached. */
  skipped: number;
}

export async function openLoop(options: { rate: number; seconds: number; maxInFlight?: number; op: (index: number) => Promise<string | null> }): Promise<OpenLoopResult> {
  const total = Math.round(options.rate * options.seconds);
  const maxInFlight = options.maxInFlight ?? 1_000;
  const result: OpenLoopResult = { started: 0, ok: 0, failed: 0, latencies: [], failures: [], elapsedSeconds: 0, skipped: 0 };
  const pending = new Set<Promise<void>>();
  const begin = performance.now();
  const launch = (index: number): void => {
    const started = performance.now();
    const run = options
      .op(index)
      .then((failure) => {
        result.latencies.push(performance.now() - started);
        if (failure === null) result.ok++;
        else {
          result.failed++;
          if (result.failures.length < 10) result.failures.push(failure);
        }
      })
      .catch((error: unknown) => {
        result.failed++;
        if (result.failures.length < 10) result.failures.push(error instanceof Error ? error.message : 'unknown error');
      })
      .finally(() => pending.delete(run));
    pending.add(run);
  };
  while (result.started + result.skipped < total) {
    const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * options.rate) + 1);
    while (result.started + result.skipped < due) {
      if (pending.size >= maxInFlight) result.skipped++;
      else launch(result.started++);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  result.elapsedSeconds = (performance.now() - begin) / 1000;
  return result;
}

export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
