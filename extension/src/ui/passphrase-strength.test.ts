// The new-passphrase strength hint: long multi-word passphrases rank strong, short or repetitive
// ones weak, and the tip points at what would help.
import { describe, expect, it } from 'vitest';
import { estimateBits, passphraseStrength } from './passphrase-strength';

describe('passphrase strength hint', () => {
  it('ranks by guessing effort, not by length alone', () => {
    expect(passphraseStrength('').score).toBe(0);
    expect(passphraseStrength('password12').score).toBeLessThanOrEqual(1);
    expect(passphraseStrength('aaaaaaaaaaaaaaaaaaaa').score).toBe(0);
    expect(passphraseStrength('abcdefghijklmnopqrst').score).toBe(0);
    expect(passphraseStrength('copper meadow violin harbor').score).toBe(4);
    expect(estimateBits('Tr0ub4dor&3')).toBeGreaterThan(estimateBits('troubadour'));
  });

  it('suggests more words for few-word passphrases and warns to keep a strong one safe', () => {
    expect(passphraseStrength('Sunflower77').tip).toContain('Four or more unrelated words');
    expect(passphraseStrength('copper meadow violin harbor').tip).toContain('cannot be recovered');
  });
});
