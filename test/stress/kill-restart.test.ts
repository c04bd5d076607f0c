// The 20 rounds of kill -9 under mixed load (test/faults/kill-restart.ts does the work and
// every check after each crash and restart). CI scale kills sooner, so each round is shorter.
import { describe, expect, it } from 'vitest';
import { runKillRounds } from '../faults/kill-restart';
import { scaled, stressScale } from '../support/stress-scale';

describe(`kill -9 under mixed load, 20 rounds (${stressScale()} scale)`, () => {
  it('loses no acknowledged key or usage row, keeps the audit chain, refuses replays after every restart', async () => {
    const report = await runKillRounds({
      rounds: 20,
      minKillMs: scaled({ ci: 150, full: 200 }),
      maxKillMs: scaled({ ci: 900, full: 3_000 }),
      workers: 6,
      log: (line) => process.stderr.write(`kill -9 ${line}\n`),
    });
    process.stderr.write(`kill -9 summary: ${JSON.stringify(report)}\n`);
    expect(report.rounds).toBe(20);
    expect(report.replaysRefused).toBeGreaterThanOrEqual(20);
    expect(report.unknownAtKill).toBeGreaterThan(0);
  });
});
