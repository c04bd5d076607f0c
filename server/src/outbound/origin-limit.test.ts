// The places per origin on their own: first come first served, a place passed straight on, a line
// that is full, callers that leave the line, and nothing kept for an origin once it is quiet.
import { describe, expect, it } from 'vitest';
import { OriginLimit, TooManyWaiting } from './origin-limit';

describe('OriginLimit', () => {
  it('gives places up to the bound, then serves the line in order as places come back', async () => {
    const limit = new OriginLimit(2, 10);
    const first = limit.tryTake('https://a.example')!;
    const second = limit.tryTake('https://a.example')!;
    expect(limit.tryTake('https://a.example')).toBeUndefined();
    // Other origins have places of their own.
    expect(limit.tryTake('https://b.example')).toBeDefined();
    const served: string[] = [];
    const third = limit.wait('https://a.example');
    const fourth = limit.wait('https://a.example');
    void third.ready.then(() => served.push('third'));
    void fourth.ready.then(() => served.push('fourth'));
    expect(limit.stateOf('https://a.example')).toEqual({ active: 2, waiting: 2 });
    second();
    second(); // a second call gives nothing back twice
    await third.ready;
    expect(served).toEqual(['third']);
    expect(limit.stateOf('https://a.example')).toEqual({ active: 2, waiting: 1 });
    first();
    await fourth.ready;
    expect(served).toEqual(['third', 'fourth']);
  });

  it('refuses to queue past the bound on waiting, and a caller that leaves frees its spot', async () => {
    const limit = new OriginLimit(1, 1);
    const only = limit.tryTake('o')!;
    const waiting = limit.wait('o');
    await expect(limit.wait('o').ready).rejects.toBeInstanceOf(TooManyWaiting);
    waiting.cancel();
    expect(limit.stateOf('o')).toEqual({ active: 1, waiting: 0 });
    const next = limit.wait('o');
    only();
    const release = await next.ready;
    release();
    expect(limit.stateOf('o')).toEqual({ active: 0, waiting: 0 });
  });

  it('passes a place over a caller that left the line', async () => {
    const limit = new OriginLimit(1, 5);
    const only = limit.tryTake('o')!;
    const gone = limit.wait('o');
    const stays = limit.wait('o');
    let goneServed = false;
    void gone.ready.then(() => (goneServed = true));
    gone.cancel();
    only();
    (await stays.ready)();
    expect(goneServed).toBe(false);
    expect(limit.stateOf('o')).toEqual({ active: 0, waiting: 0 });
  });

  it('keeps totals over every origin: calls under way, calls waiting, and how each wait ended', async () => {
    const limit = new OriginLimit(1, 1);
    const a = limit.tryTake('a')!;
    const b = limit.tryTake('b')!;
    const placed = limit.wait('a');
    await expect(limit.wait('a').ready).rejects.toBeInstanceOf(TooManyWaiting);
    const leaves = limit.wait('b');
    expect(limit.totals()).toEqual({ active: 2, waiting: 2, waits: { placed: 0, gaveUp: 0, busy: 1 } });
    leaves.cancel();
    leaves.cancel(); // counted once
    a();
    const handedOver = await placed.ready;
    expect(limit.totals()).toEqual({ active: 2, waiting: 0, waits: { placed: 1, gaveUp: 1, busy: 1 } });
    handedOver();
    b();
    b();
    expect(limit.totals()).toEqual({ active: 0, waiting: 0, waits: { placed: 1, gaveUp: 1, busy: 1 } });
  });
});
