// The offline provider: deterministic, sensible, free, and shaped like any other adapter.
import { describe, expect, it } from 'vitest';
import { summaryChunkPrompt, entitiesPrompt } from '../enrichment/prompts';
import { parseEntitiesAnswer, countEntities } from '../enrichment/entities';
import { createBuiltinAdapter } from './builtin-adapter';
import { extractEntities } from './entity-extractor';
import { summarizeExtractive } from './extractive-summary';

const ARTICLE = `The European Space Agency launched its new climate satellite from Kourou on Tuesday.
The satellite will measure ice thickness across Greenland and Antarctica for seven years.

Scientists at the agency said the climate satellite carries a radar that sees through cloud.
Josef Aschbacher, the agency's director general, called the launch a milestone for climate research.
Lunch was served afterwards. The weather was warm.

Data from the satellite will be free for researchers worldwide from March 2027.
NASA and the University of Leeds will help calibrate the radar measurements of ice.`;

describe('summarizeExtractive', () => {
  it('is deterministic', () => {
    expect(summarizeExtractive(ARTICLE)).toBe(summarizeExtractive(ARTICLE));
  });

  it('picks topical sentences in their original order and skips filler', () => {
    const summary = summarizeExtractive(ARTICLE, { maxSentences: 3 });
    const sentences = summary.split(/(?<=\.)\s+/);
    expect(sentences).toHaveLength(3);
    expect(summary).toContain('climate satellite');
    expect(summary).not.toContain('Lunch was served');
    expect(summary).not.toContain('The weather was warm');
    const positions = sentences.map((sentence) => ARTICLE.indexOf(sentence));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('returns short texts whole and empty text as empty', () => {
    expect(summarizeExtractive('One sentence only.')).toBe('One sentence only.');
    expect(summarizeExtractive('   ')).toBe('');
  });

  it('respects the character budget', () => {
    const long = Array.from({ length: 200 }, (_, index) => `Sentence ${index} talks about satellites and ice sheets in detail.`).join(' ');
    expect(summarizeExtractive(long, { maxChars: 300 }).length).toBeLessThanOrEqual(300);
  });
});

describe('extractEntities', () => {
  it('finds people, organizations, places and dates', () => {
    const counted = countEntities(extractEntities(ARTICLE));
    const has = (type: string, text: string) => counted.some((entity) => entity.type === type && entity.text === text);
    expect(has('person', 'Josef Aschbacher')).toBe(true);
    expect(has('location', 'Greenland')).toBe(true);
    expect(counted.some((entity) => entity.type === 'organization' && /NASA|University of Leeds|European Space Agency/.test(entity.text))).toBe(true);
    expect(counted.some((entity) => entity.type === 'date' && /Tuesday|March 2027/.test(entity.text))).toBe(true);
  });

  it('is deterministic and bounded on long input', () => {
    const long = Array.from({ length: 400 }, () => ARTICLE).join('\n\n');
    const first = extractEntities(long);
    expect(first.length).toBeLessThanOrEqual(1000);
    expect(extractEntities(ARTICLE)).toEqual(extractEntities(ARTICLE));
  });
});

describe('builtin adapter', () => {
  const call = { provider: 'builtin' as const, model: 'builtin-extractive', apiKey: null, baseUrl: '', allowedBaseUrls: [] };

  it('answers summary prompts with the extractive summary at zero usage', async () => {
    const adapter = createBuiltinAdapter();
    const completion = await adapter.complete(call, summaryChunkPrompt(ARTICLE, { index: 0, total: 1 }));
    expect(completion.text).toBe(summarizeExtractive(ARTICLE));
    expect(completion.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('answers entity prompts with JSON the enrichment parser accepts', async () => {
    const completion = await createBuiltinAdapter().complete(call, entitiesPrompt(ARTICLE));
    const parsed = parseEntitiesAnswer(completion.text);
    expect(parsed.ok).toBe(true);
  });

  it('verifies as valid without a key, and refuses an aborted call', async () => {
    const adapter = createBuiltinAdapter();
    expect((await adapter.verify(call)).status).toBe('valid');
    await expect(adapter.complete({ ...call, signal: AbortSignal.abort() }, entitiesPrompt(ARTICLE))).rejects.toMatchObject({ kind: 'aborted' });
  });
});
