// Turns of the event loop for the builtin provider, which computes on the companion's own thread.
// Every piece of its work (a call, a slice of a long text) waits for a turn first, and each turn
// of the loop lets one piece through: the enrichment runs several calls at a time, and if each
// continued on the same turn their pieces would add up to one long stall for every other request.
// In arrival order, so a small request is not stuck behind every piece of a large one.

const waiting: Array<() => void> = [];
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // An immediate queued while immediates run goes to the next turn, after timers and I/O.
  setImmediate(() => {
    scheduled = false;
    waiting.shift()?.();
    if (waiting.length > 0) schedule();
  });
}

/** Resolves on a later turn of the event loop, once the pieces that asked before have had theirs. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}
