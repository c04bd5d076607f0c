// The shape every benchmark reports in; `pnpm bench` collects them into one JSON file and one table.
import { percentile } from '../support/open-loop';

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  /** What the number is compared against (a target, a direct call), if anything. */
  note?: string;
}

export interface BenchResult {
  name: string;
  rows: BenchRow[];
}

/** A positive number given on the command line as `--name N`, or `fallback` (absent or not a positive number). */
export function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Median and high percentiles of a sample, in the sample's unit. */
export function percentiles(samples: number[]): { p50: number; p99: number; mean: number } {
  const mean = samples.reduce((sum, x) => sum + x, 0) / Math.max(1, samples.length);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), mean };
}

/** Runs `op` repeatedly for about `seconds` and answers operations per second. */
export async function opsPerSecond(op: () => Promise<unknown>, seconds = 2): Promise<number> {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < end) {
    await op();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}
