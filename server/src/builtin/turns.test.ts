// The builtin provider's turns: one piece of work per turn of the event loop, across every caller,
// in the order they asked.
import { describe, expect, it } from 'vitest';
import { nextTurn } from './turns';

describe('nextTurn', () => {
  it('lets one piece through per turn of the event loop, whoever asks, in arrival order', async () => {
    // A turn counter driven by timers: it moves only when the loop gets past the check phase.
    let turn = 0;
    let counting = true;
    const count = (): void => {
      turn += 1;
      if (counting) setTimeout(count, 0);
    };
    setTimeout(count, 0);
    const ran: Array<{ worker: string; turn: number }> = [];
    const worker = async (name: string, pieces: number): Promise<void> => {
      for (let piece = 0; piece < pieces; piece++) {
        await nextTurn();
        ran.push({ worker: name, turn });
        // A piece of work long enough for the timer to be due when it ends.
        const until = performance.now() + 2;
        while (performance.now() < until);
      }
    };
    await Promise.all([worker('a', 5), worker('b', 5), worker('c', 2)]);
    counting = false;

    expect(ran).toHaveLength(12);
    // Never two pieces in the same turn: the timer ran between every two of them.
    for (let index = 1; index < ran.length; index++) expect(ran[index]!.turn).toBeGreaterThan(ran[index - 1]!.turn);
    // Round robin in arrival order: the short worker is done early, not after the long ones.
    expect(ran.slice(0, 6).map((entry) => entry.worker)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
