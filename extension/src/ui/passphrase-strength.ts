// A rough strength hint for a new passphrase: an estimate of guessing entropy from its length,
// character variety and word count, with the one tip that helps most. It is advice, not a rule:
// only the minimum length is enforced.
export interface StrengthHint {
  /** 0 (very weak) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  tip: string;
}

const LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;

/** Estimated bits: characters drawn from the pools used, with repeats and runs discounted. */
export function estimateBits(passphrase: string): number {
  if (!passphrase) return 0;
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 33;
  // Repeated characters ("aaaa", "abab") add little: count distinct-neighbour characters only.
  let effective = 1;
  for (let index = 1; index < passphrase.length; index += 1) {
    const here = passphrase.charCodeAt(index);
    const before = passphrase.charCodeAt(index - 1);
    if (here !== before && here !== before + 1) effective += 1;
  }
  return Math.round(effective * Math.log2(Math.max(pool, 2)) * 0.8);
}

export function passphraseStrength(passphrase: string): StrengthHint {
  const bits = estimateBits(passphrase);
  const words = passphrase.trim().split(/\s+/).filter(Boolean).length;
  const score = (bits < 28 ? 0 : bits < 45 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4) as StrengthHint['score'];
  const tip =
    score >= 4
      ? 'Hard to guess. Write it down somewhere safe: it cannot be recovered.'
      : words < 4
        ? 'Four or more unrelated words are easy to remember and hard to guess.'
        : 'Add another unrelated word, or mix in a number or symbol.';
  return { score, label: LABELS[score], tip };
}
