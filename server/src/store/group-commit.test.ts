// The group commit on a real SQLite file, watched through a second connection (another reader,
// like the CLI's): work queued in one turn shares a transaction, each promise settles only after
// COMMIT, a failing piece rolls back alone, and after a failure that takes the whole transaction
// every promise that resolved has its row and every one that rejected has none.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

let dir: string;
let db: Database.Database;
let reader: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'byok-group-commit-'));
  db = new Database(join(dir, 'test.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT NOT NULL)');
  reader = new Database(join(dir, 'test.sqlite'), { readonly: true });
});

afterEach(() => {
  reader.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (id: number, note = 'x') => () => db.prepare('INSERT INTO t (id, note) VALUES (?, ?)').run(id, note).changes;
const committedIds = (): number[] => (reader.prepare('SELECT id FROM t ORDER BY id').all() as { id: number }[]).map((row) => row.id);

describe('GroupCommit', () => {
  it('puts the work of one turn in one transaction and settles each promise after the commit', async () => {
    const commits = new GroupCommit(db);
    const seenByReader: number[][] = [];
    const first = commits.run(insert(1));
    const second = commits.run(() => {
      // Inside the batch: the first row is written but not yet committed.
      seenByReader.push(committedIds());
      return insert(2)();
    });
    expect(db.inTransaction).toBe(false); // nothing runs before the next turn
    const settled: number[][] = [];
    await Promise.all([first.then(() => settled.push(committedIds())), second.then(() => settled.push(committedIds()))]);
    expect(seenByReader).toEqual([[]]);
    expect(settled).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('returns what the work returns, and works one request at a time too', async () => {
    const commits = new GroupCommit(db);
    expect(await commits.run(insert(1))).toBe(1);
    expect(committedIds()).toEqual([1]);
    expect(await commits.run(() => 'plain value')).toBe('plain value');
  });

  it('rolls back only the work that throws, in its savepoint, and rejects only its promise', async () => {
    const commits = new GroupCommit(db);
    const boom = new Error('boom');
    const results = await Promise.allSettled([
      commits.run(insert(1)),
      commits.run(() => {
        insert(2)();
        throw boom;
      }),
      commits.run(insert(1)), // a constraint failure: id 1 is taken by the first piece of work
      commits.run(insert(3)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(boom);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(committedIds()).toEqual([1, 3]);
  });

  it('nests transaction functions of the stores inside the batch', async () => {
    const commits = new GroupCommit(db);
    const pair = db.transaction((a: number, b: number) => {
      insert(a)();
      insert(b)();
    }).immediate;
    const results = await Promise.allSettled([commits.run(() => pair(1, 2)), commits.run(() => pair(3, 1)), commits.run(() => pair(4, 5))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The failed pair left nothing behind, not even its first row.
    expect(committedIds()).toEqual([1, 2, 4, 5]);
  });

  it('caps a batch, and commits every batch queued in a turn before the event loop goes on', async () => {
    const commits = new GroupCommit(db, 2);
    const seen: number[][] = [];
    const all = [1, 2, 3, 4, 5].map((id) =>
      commits.run(() => {
        seen.push(committedIds());
        return insert(id)();
      }),
    );
    // Queued after the group commit's own turn: it runs once that turn is over, as the next
    // request's read would. Every batch is committed by then, not only the first.
    const afterTheTurn = await new Promise<number[]>((resolve) => setImmediate(() => resolve(committedIds())));
    expect(afterTheTurn).toEqual([1, 2, 3, 4, 5]);
    await Promise.all(all);
    expect(seen).toEqual([[], [], [1, 2], [1, 2], [1, 2, 3, 4]]);
  });

  it('drains synchronously: what is queued is committed before the call returns', async () => {
    const commits = new GroupCommit(db);
    const queued = [commits.run(insert(1)), commits.run(insert(2))];
    commits.drain();
    expect(committedIds()).toEqual([1, 2]);
    await expect(Promise.all(queued)).resolves.toEqual([1, 1]);
  });

  it('after a full disk, resolved means stored and rejected means not stored', async () => {
    const commits = new GroupCommit(db);
    await commits.run(insert(0));
    // The database may not grow past its current size: big rows hit SQLITE_FULL.
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`);
    const big = 'y'.repeat(3_000);
    const ids = Array.from({ length: 12 }, (_, index) => index + 1);
    const results = await Promise.allSettled(ids.map((id) => commits.run(insert(id, big))));
    const resolved = ids.filter((_, index) => results[index]?.status === 'fulfilled');
    const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const failure of rejected) expect(String(failure.reason)).toMatch(/full/i);
    expect(committedIds()).toEqual([0, ...resolved]);
    // And the store keeps working once there is room again.
    db.pragma('max_page_count = 1073741823');
    await commits.run(insert(100));
    expect(committedIds()).toContain(100);
  });
});
