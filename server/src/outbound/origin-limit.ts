// How many calls one origin may have in the HTTP client at once, and how many may wait for a
// place. A call holds its place from the moment it is handed to undici until undici is done with
// it (answered, failed, or dropped after an abort), so a connect that goes on after its call gave
// up still counts. Each call uses at most one connection, so this bounds connections too: a burst,
// or a provider that stopped answering, cannot take every file descriptor of the process.
//
// undici's own per-origin `connections` cannot do this: its Agent forgets an origin's pool when
// the pool has no connected socket (every connect failing, say), and the next call gets a new pool
// with a new allowance; and its queue cannot drop a call, so one that gave up still gets a
// connection made for it when its turn comes. Here a waiting call leaves the line the moment it
// gives up, and never reaches undici.

/** Gives the place back; calling it again does nothing. */
export type Release = () => void;

/** A call in line for a place: `ready` settles with its place; `cancel` takes it out of the line. */
export interface Waiting {
  readonly ready: Promise<Release>;
  cancel(): void;
}

interface Line {
  active: number;
  readonly waiting: Set<(release: Release) => void>;
}

export class TooManyWaiting extends Error {
  constructor() {
    super('too many calls are waiting for this origin');
  }
}

/**
 * All origins together, for /metrics (no origin is named there: base URLs can be a user's own).
 * `waits` counts the calls that found no place at once, by how that ended: a place came (`placed`),
 * the call timed out or was aborted in line (`gaveUp`), or the line was full (`busy`).
 */
export interface OriginLimitTotals {
  active: number;
  waiting: number;
  waits: { placed: number; gaveUp: number; busy: number };
}

export class OriginLimit {
  private readonly lines = new Map<string, Line>();
  private active = 0;
  private waiting = 0;
  private readonly waits = { placed: 0, gaveUp: 0, busy: 0 };

  constructor(
    private readonly perOrigin: number,
    private readonly maxWaiting: number,
  ) {}

  /** A place for `origin` now, or undefined when they are all taken. */
  tryTake(origin: string): Release | undefined {
    const line = this.lineOf(origin);
    if (line.active >= this.perOrigin) return undefined;
    line.active += 1;
    this.active += 1;
    return this.releaser(origin, line);
  }

  /** Joins the line for `origin`; `ready` rejects with TooManyWaiting when the line is full. */
  wait(origin: string): Waiting {
    const line = this.lineOf(origin);
    if (line.waiting.size >= this.maxWaiting) {
      this.forget(origin, line);
      this.waits.busy += 1;
      return { ready: Promise.reject(new TooManyWaiting()), cancel: () => undefined };
    }
    let entry: ((release: Release) => void) | undefined;
    const ready = new Promise<Release>((resolve) => {
      entry = resolve;
      line.waiting.add(resolve);
    });
    this.waiting += 1;
    return {
      ready,
      cancel: () => {
        if (entry === undefined || !line.waiting.delete(entry)) return;
        this.waiting -= 1;
        this.waits.gaveUp += 1;
        this.forget(origin, line);
      },
    };
  }

  /** Every origin together (see OriginLimitTotals). */
  totals(): OriginLimitTotals {
    return { active: this.active, waiting: this.waiting, waits: { ...this.waits } };
  }

  /** Calls in undici for `origin` now, and calls waiting (for tests and metrics). */
  stateOf(origin: string): { active: number; waiting: number } {
    const line = this.lines.get(origin);
    return { active: line?.active ?? 0, waiting: line?.waiting.size ?? 0 };
  }

  private lineOf(origin: string): Line {
    let line = this.lines.get(origin);
    if (line === undefined) {
      line = { active: 0, waiting: new Set() };
      this.lines.set(origin, line);
    }
    return line;
  }

  private releaser(origin: string, line: Line): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The place goes straight to the first in line (Sets keep insertion order), or back.
      const next = line.waiting.values().next();
      if (next.done === true) {
        line.active -= 1;
        this.active -= 1;
        this.forget(origin, line);
        return;
      }
      line.waiting.delete(next.value);
      this.waiting -= 1;
      this.waits.placed += 1;
      next.value(this.releaser(origin, line));
    };
  }

  /** An origin with nothing in undici and nobody waiting is dropped (origins come from settings). */
  private forget(origin: string, line: Line): void {
    if (line.active === 0 && line.waiting.size === 0) this.lines.delete(origin);
  }
}
