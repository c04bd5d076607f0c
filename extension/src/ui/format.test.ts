// Money as the popup, side panel and admin page show it: never "$0.0000" for a call that cost
// something.
import { describe, expect, it } from 'vitest';
import { formatCost } from './format';

describe('formatCost', () => {
  it('shows cents from one cent, and two significant digits below', () => {
    expect(formatCost(0)).toBe('$0.00');
    expect(formatCost(1)).toBe('$0.000001');
    expect(formatCost(30)).toBe('$0.00003');
    expect(formatCost(49)).toBe('$0.000049');
    expect(formatCost(1_234)).toBe('$0.0012');
    expect(formatCost(9_999)).toBe('$0.01');
    expect(formatCost(10_000)).toBe('$0.01');
    expect(formatCost(1_234_567)).toBe('$1.23');
  });
});
