// Error advice in the user's words, with the companion's message where it says more.
import { describe, expect, it } from 'vitest';
import { describeError } from './error-note';

describe('describeError', () => {
  it("shows the companion's account of a route where no provider answered, including how long to wait", () => {
    const message = 'No provider in the route answered. Attempts: groq (byok): rate_limited; openai (byok): rate_limited. Every provider asked to wait; try again in 3 s.';
    const advice = describeError({ code: 'provider_unreachable', message, status: 502 });
    expect(advice.title).toBe('No provider answered');
    expect(advice.advice).toContain('groq (byok): rate_limited');
    expect(advice.advice).toContain('try again in 3 s');
  });
});
