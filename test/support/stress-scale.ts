// How hard the stress project pushes: BYOK_STRESS_SCALE=ci keeps the whole project under about
// four minutes on a 2-core CI machine; unset (or "full") is the full scale.
export type StressScale = 'ci' | 'full';

export function stressScale(): StressScale {
  const value = (process.env.BYOK_STRESS_SCALE ?? '').trim().toLowerCase();
  return value === 'ci' ? 'ci' : 'full';
}

/** Picks the CI or the full value of a knob. */
export function scaled<T>(values: { ci: T; full: T }): T {
  return values[stressScale()];
}
