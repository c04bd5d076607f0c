// The offline provider: deterministic, sensible, free, and shaped like any other adapter.
import { describe, expect, it } from 'vitest';
import { summaryChunkPrompt, entitiesPrompt } from '../enrichment/prompts';
import { parseEntitiesAnswer, countEntities } from '../enrichment/entities';
import { createBuiltinAdapter } from './builtin-adapter';
import { extractEntities, extractEntitiesYielding } from './entity-extractor';
import { summarizeExtractive } from './extractive-summary';

/** Counts turns of the event loop (one per check phase) until stopped. */
function loopTurns(): { stop(): number } {
  let turns = 0;
  let running = true;
  const turn = (): void => {
    if (!running) return;
    turns += 1;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

/** One famous person per paragraph, each with a place or an organization, and what must be found there. */
const FAMOUS: ReadonlyArray<readonly [person: string, deed: string, type: 'location' | 'organization', where: string]> = [
  ['Marie Curie', 'studied radium in', 'location', 'Paris'],
  ['Albert Einstein', 'lectured in', 'location', 'Berlin'],
  ['Ada Lovelace', 'wrote her notes in', 'location', 'London'],
  ['Nelson Mandela', 'spoke in', 'location', 'Johannesburg'],
  ['Angela Merkel', 'met reporters in', 'location', 'Munich'],
  ['Alan Turing', 'worked at the', 'organization', 'University of Manchester'],
  ['Frida Kahlo', 'painted in', 'location', 'Mexico City'],
  ['Pablo Picasso', 'painted in', 'location', 'Madrid'],
  ['Toni Morrison', 'taught at', 'organization', 'Princeton University'],
  ['Isaac Newton', 'was born in', 'location', 'Lincolnshire'],
  ['Charles Darwin', 'sailed to', 'location', 'Ecuador'],
  ['Greta Thunberg', 'spoke in', 'location', 'Stockholm'],
  ['Wolfgang Mozart', 'composed in', 'location', 'Vienna'],
];

/**
 * About 64,000 characters: each paragraph (just under the 5,000-character slice) opens with one
 * famous person's sentence and goes on with name-free filler, so every slice holds two entities of
 * its own and a slice skipped or cut short loses them. Far below the entity cap.
 */
const NAMED_LONG = FAMOUS.map(([person, deed, , where]) =>
  `${person} ${deed} ${where}. ${'The weather was mild and the river ran slowly past the fields. '.repeat(78)}`.trim(),
).join('\n\n');
const NAMED_LONG_ENTITIES = FAMOUS.flatMap(([person, , type, where]) => [
  { type: 'person', text: person },
  { type, text: where },
]);

const ARTICLE = `The European Space Agency launched its new climate satellite from Kourou on Tuesday.
The satellite will measure ice thickness across Greenland and Antarctica for seven years.

Scientists at the agency said the climate satellite carries a radar that sees through cloud.
Josef Aschbacher, the agency's director general, called the launch a milestone for climate research.
Lunch was served afterwards. The weather was warm.

Data from the satellite will be free for researchers worldwide from March 2027.
NASA and the University of Leeds will help calibrate the radar measurements of ice.`;

describe('summarizeExtractive', () => {
  it('is deterministic: the same topical sentences on every call', () => {
    const expected =
      'The European Space Agency launched its new climate satellite from Kourou on Tuesday. ' +
      'Scientists at the agency said the climate satellite carries a radar that sees through cloud.';
    expect(summarizeExtractive(ARTICLE)).toBe(expected);
    expect(summarizeExtractive(ARTICLE)).toBe(expected);
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

  it('gives the event loop a turn before every slice of a long text, and stops once aborted', async () => {
    expect(NAMED_LONG.length).toBeGreaterThan(60_000);
    const turns = loopTurns();
    const entities = await extractEntitiesYielding(NAMED_LONG);
    // 60,000 characters are at least 12 slices of at most 5,000; other requests ran between them.
    expect(turns.stop()).toBeGreaterThanOrEqual(12);
    // Every slice was read, in order: the names of each paragraph, first to last, and nothing else.
    expect(entities).toEqual(NAMED_LONG_ENTITIES);
    expect(extractEntities(NAMED_LONG)).toEqual(NAMED_LONG_ENTITIES);

    const controller = new AbortController();
    setImmediate(() => controller.abort());
    await expect(extractEntitiesYielding(NAMED_LONG, controller.signal)).rejects.toThrow();
  });

  it('is deterministic and bounded on long input', () => {
    const long = Array.from({ length: 400 }, () => ARTICLE).join('\n\n');
    const first = extractEntities(long);
    // Over 4,000 mentions in the text: cut at exactly the cap of 1,000.
    expect(first).toHaveLength(1000);
    // Slices end on paragraph breaks: no mention is torn apart at a slice boundary.
    expect(first.filter((entity) => !ARTICLE.includes(entity.text))).toEqual([]);
    const aschbacher = countEntities(first).find((entity) => entity.type === 'person' && entity.text === 'Josef Aschbacher');
    expect(aschbacher?.count).toBeGreaterThan(50);
    expect(extractEntities(long)).toEqual(first);
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
    const completion = await createBuiltinAdapter().complete(call, entitiesPrompt(NAMED_LONG));
    const parsed = parseEntitiesAnswer(completion.text);
    expect(parsed).toEqual({ ok: true, entities: NAMED_LONG_ENTITIES });
    expect(completion.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('lets the event loop turn between calls made back to back, as the enrichment makes them', async () => {
    // Each call is computed on this thread; without a turn first, a document's chunk calls chain
    // through promise callbacks alone and stall every other request until the last one is done.
    const adapter = createBuiltinAdapter();
    const turns = loopTurns();
    for (let index = 0; index < 10; index++) await adapter.complete(call, summaryChunkPrompt(ARTICLE, { index, total: 10 }));
    expect(turns.stop()).toBeGreaterThanOrEqual(10);
  });

  it('stops an entity extraction between slices when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = createBuiltinAdapter().complete({ ...call, signal: controller.signal }, entitiesPrompt(NAMED_LONG));
    setImmediate(() => setImmediate(() => controller.abort()));
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('verifies as valid without a key, and refuses an aborted call', async () => {
    const adapter = createBuiltinAdapter();
    expect((await adapter.verify(call)).status).toBe('valid');
    await expect(adapter.complete({ ...call, signal: AbortSignal.abort() }, entitiesPrompt(ARTICLE))).rejects.toMatchObject({ kind: 'aborted' });
  });
});
