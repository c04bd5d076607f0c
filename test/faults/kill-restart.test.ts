// The fast version of the kill -9 rounds (the 20-round loop is in test/stress): two crashes of a
// real server process under mixed load, each followed by the full check of runKillRounds.
import { describe, expect, it } from 'vitest';
import { runKillRounds } from './kill-restart';

describe('kill -9 under mixed load (2 rounds)', () => {
  it('loses no acknowledged key or usage row, keeps the audit chain, refuses replays after restart', async () => {
    const report = await runKillRounds({ rounds: 2, minKillMs: 300, maxKillMs: 900, workers: 4 });
    expect(report.rounds).toBe(2);
    expect(report.acknowledgedWrites).toBeGreaterThan(4);
    expect(report.acknowledgedEnrichments).toBeGreaterThan(0);
    expect(report.replaysRefused).toBeGreaterThan(0);
  });
});
