// Hints: longest prefix, last-4 rules, server-side validation and display.
import { describe, expect, it } from 'vitest';
import { computeHint, formatHint, isValidHint } from './hint';

const ANTHROPIC = ['sk-ant-', 'sk-'];
const OPENAI = ['sk-proj-', 'sk-'];

describe('computeHint', () => {
  it('picks the longest matching prefix regardless of catalog order', () => {
    expect(computeHint('sk-ant-api03-abcdefghijklmnop-xx7K', ['sk-', 'sk-ant-'])).toEqual({ prefix: 'sk-ant-', last4: 'xx7K' });
    expect(computeHint('sk-ant-api03-abcdefghijklmnop-xx7K', ANTHROPIC).prefix).toBe('sk-ant-');
    expect(computeHint('sk-proj-abcdefghijklmnop_Q9z', OPENAI)).toEqual({ prefix: 'sk-proj-', last4: '_Q9z' });
    expect(computeHint('sk-abcdefghijklmnopqrs1234', OPENAI)).toEqual({ prefix: 'sk-', last4: '1234' });
    expect(computeHint('AIzaSyD-abcdefghijklmnopqrstuvw', ['AIza'])).toEqual({ prefix: 'AIza', last4: 'tuvw' });
  });

  it('gives an empty prefix when nothing matches or none is listed', () => {
    expect(computeHint('xyz-abcdefghijklmnop', OPENAI).prefix).toBe('');
    expect(computeHint('abcdefghijklmnopqrst', []).prefix).toBe('');
  });

  it('leaves last4 empty for keys shorter than 16 characters', () => {
    expect(computeHint('sk-abcdefghijkl', OPENAI)).toEqual({ prefix: 'sk-', last4: '' }); // 15
    expect(computeHint('sk-abcdefghijklm', OPENAI)).toEqual({ prefix: 'sk-', last4: 'jklm' }); // 16
    expect(computeHint('', OPENAI)).toEqual({ prefix: '', last4: '' });
  });

  it('never shows characters outside [A-Za-z0-9_-] in last4', () => {
    expect(computeHint('sk-abcdefghijklmnop.xyz', OPENAI).last4).toBe('');
    expect(computeHint('sk-abcdefghijklmnopé123', OPENAI).last4).toBe('');
  });
});

describe('isValidHint', () => {
  it('accepts catalog prefixes and well-formed last4', () => {
    expect(isValidHint({ prefix: 'sk-ant-', last4: 'xx7K' }, ANTHROPIC)).toBe(true);
    expect(isValidHint({ prefix: 'sk-', last4: '' }, ANTHROPIC)).toBe(true);
    expect(isValidHint({ prefix: '', last4: 'ab_-' }, [])).toBe(true);
  });

  it('rejects unknown prefixes and an empty prefix where the catalog lists some', () => {
    expect(isValidHint({ prefix: 'sk-proj-', last4: 'abcd' }, ANTHROPIC)).toBe(false);
    expect(isValidHint({ prefix: 'sk', last4: 'abcd' }, ANTHROPIC)).toBe(false);
    expect(isValidHint({ prefix: '', last4: 'abcd' }, ANTHROPIC)).toBe(false);
    expect(isValidHint({ prefix: 'sk-', last4: 'abcd' }, [])).toBe(false);
  });

  it('rejects bad last4', () => {
    for (const last4 of ['abc', 'abcde', 'ab.c', 'ab c', 'abé1', '••••', 'ab=c']) {
      expect(isValidHint({ prefix: 'sk-', last4 }, OPENAI)).toBe(false);
    }
  });

  it('rejects non-string fields and extra fields', () => {
    expect(isValidHint({ prefix: 'sk-', last4: 1234 } as unknown as { prefix: string; last4: string }, OPENAI)).toBe(false);
    expect(isValidHint({ prefix: 'sk-', last4: 'abcd', key: 'sk-secret' } as unknown as { prefix: string; last4: string }, OPENAI)).toBe(false);
    expect(isValidHint(null as unknown as { prefix: string; last4: string }, OPENAI)).toBe(false);
  });
});

describe('formatHint', () => {
  it('renders prefix, dots and last4', () => {
    expect(formatHint({ prefix: 'sk-ant-', last4: 'xx7K' })).toBe('sk-ant-•••xx7K');
    expect(formatHint({ prefix: '', last4: '' })).toBe('•••');
    expect(formatHint({ prefix: 'gsk_', last4: '' })).toBe('gsk_•••');
  });
});
