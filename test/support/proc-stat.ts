// Linux's /proc/<pid>/stat (proc(5)): the fields come after the command name, which may itself hold
// spaces and parentheses, so they are counted from its last ')'. Times there are clock ticks of
// 1/100 s (USER_HZ). The benchmarks read CPU time per process and thread from them.
import { readFileSync } from 'node:fs';

export const USER_HZ = 100;

/** The proc(5) field numbers read here (1-based, as the manual numbers them). */
export const STAT_FIELD = { utime: 14, stime: 15 } as const;

/** Field `n` (proc(5) numbering) of a /proc `stat` file as a number; undefined where the file cannot be read. */
export function readProcStat(file: string): ((n: number) => number) | undefined {
  let stat: string;
  try {
    stat = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // Field 3 (state) starts two characters after the ')' that closes field 2 (the command name).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (n) => Number(fields[n - 3]);
}
