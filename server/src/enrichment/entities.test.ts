// Entity answers: tolerant parsing, schema validation, type synonyms, deduplication and counting.
import { describe, expect, it } from 'vitest';
import { countEntities, countMentions, parseEntitiesAnswer } from './entities';

describe('parseEntitiesAnswer', () => {
  it('accepts the asked shape, a code fence, and prose around the object', () => {
    const json = '{"entities":[{"type":"person","text":"Ada Lovelace"}]}';
    for (const answer of [json, `\`\`\`json\n${json}\n\`\`\``, `Here you go: ${json} Hope this helps.`]) {
      expect(parseEntitiesAnswer(answer)).toEqual({ ok: true, entities: [{ type: 'person', text: 'Ada Lovelace' }] });
    }
  });

  it('maps type synonyms and unknown types', () => {
    const result = parseEntitiesAnswer(
      '{"entities":[{"type":"PERSON","text":" Ada "},{"type":"Organisation","text":"ACME"},{"type":"GPE","text":"Paris"},{"type":"weird","text":"X"}]}',
    );
    expect(result).toEqual({
      ok: true,
      entities: [
        { type: 'person', text: 'Ada' },
        { type: 'organization', text: 'ACME' },
        { type: 'location', text: 'Paris' },
        { type: 'other', text: 'X' },
      ],
    });
  });

  it('reports invalid JSON and wrong shapes without echoing the answer', () => {
    const broken = parseEntitiesAnswer('{"entities": [{"type": "person", "text": ');
    expect(broken).toEqual({ ok: false, problem: 'the answer is not JSON' });
    const wrong = parseEntitiesAnswer('{"people":["Ada"]}');
    expect(wrong.ok).toBe(false);
    const empty = parseEntitiesAnswer('{"entities":[{"type":"person","text":""}]}');
    expect(empty.ok).toBe(false);
  });

  it('keeps the complete entities of an answer cut off by its output budget, marked partial', () => {
    const cut = parseEntitiesAnswer('{"entities": [{"type": "person", "text": "Ada Lovelace"}, {"type": "org", "text": "Royal Society"}, {"type": "locat');
    expect(cut).toEqual({
      ok: true,
      partial: true,
      entities: [
        { type: 'person', text: 'Ada Lovelace' },
        { type: 'organization', text: 'Royal Society' },
      ],
    });
    // A brace inside a text only loses that one object.
    const brace = parseEntitiesAnswer('```json\n{"entities": [{"type": "product", "text": "a {b"}, {"type": "person", "text": "Grace Hopper"}, {');
    expect(brace).toMatchObject({ ok: true, entities: [{ type: 'person', text: 'Grace Hopper' }] });
  });
});

describe('countEntities', () => {
  it('dedupes case- and whitespace-insensitively per type, keeping the first spelling', () => {
    const counted = countEntities([
      { type: 'person', text: 'Ada  Lovelace' },
      { type: 'location', text: 'Paris' },
      { type: 'person', text: 'ada lovelace' },
      { type: 'person', text: ' ADA\nLOVELACE ' },
      { type: 'organization', text: 'Paris' },
      { type: 'location', text: 'paris' },
    ]);
    expect(counted).toEqual([
      { type: 'person', text: 'Ada Lovelace', count: 3 },
      { type: 'location', text: 'Paris', count: 2 },
      { type: 'organization', text: 'Paris', count: 1 },
    ]);
  });
});

describe('countMentions', () => {
  it('counts whole-word mentions in the chunk, white-space-insensitively', () => {
    const chunk = 'Ada met Adam in Nevada and Ada\u00ADm. Ada\nLovelace wrote notes; ADA LOVELACE, said the heading.';
    expect(countMentions(chunk, [{ type: 'person', text: 'Ada Lovelace' }, { type: 'person', text: 'Ada' }])).toEqual([
      { type: 'person', text: 'Ada Lovelace', count: 2 },
      { type: 'person', text: 'Ada', count: 1 },
    ]);
  });

  it('keeps the case of a name with capitals, except in text in capitals throughout', () => {
    const chunk = 'The US told us. Who knows what the WHO said? We may go in May. THE US AGREED.';
    expect(
      countMentions(chunk, [
        { type: 'location', text: 'US' },
        { type: 'organization', text: 'WHO' },
        { type: 'date', text: 'May' },
        { type: 'other', text: 'knows' },
      ]),
    ).toEqual([
      { type: 'location', text: 'US', count: 2 },
      { type: 'organization', text: 'WHO', count: 1 },
      { type: 'date', text: 'May', count: 1 },
      { type: 'other', text: 'knows', count: 1 },
    ]);
  });

  it('does not find a name that starts or ends with punctuation inside a longer word', () => {
    const chunk = 'ASP.NET is not .NET alone; the U.S.A. and the U.S. differ; C++ and AT&T too.';
    expect(
      countMentions(chunk, [
        { type: 'product', text: '.NET' },
        { type: 'location', text: 'U.S.' },
        { type: 'product', text: 'C++' },
        { type: 'organization', text: 'AT&T' },
      ]),
    ).toEqual([
      { type: 'product', text: '.NET', count: 1 },
      { type: 'location', text: 'U.S.', count: 1 },
      { type: 'product', text: 'C++', count: 1 },
      { type: 'organization', text: 'AT&T', count: 1 },
    ]);
  });

  it('lets longer names take their mentions first, so no mention counts twice', () => {
    const chunk = 'Marie Curie met Pierre Curie. Curie won.';
    expect(countMentions(chunk, [{ type: 'person', text: 'Curie' }, { type: 'person', text: 'Marie Curie' }])).toEqual([
      { type: 'person', text: 'Curie', count: 2 },
      { type: 'person', text: 'Marie Curie', count: 1 },
    ]);
  });

  it('counts a list that repeats every mention by the text, not by the list', () => {
    const repeated = Array.from({ length: 5 }, () => ({ type: 'location' as const, text: 'Paris' }));
    expect(countMentions('Paris in spring. Paris in fall.', repeated)).toEqual([{ type: 'location', text: 'Paris', count: 2 }]);
  });

  it('counts one for a listed entity the chunk does not spell out, and for a second type of the same name', () => {
    expect(countMentions('Paris, Paris.', [{ type: 'location', text: 'Paris' }, { type: 'person', text: 'Paris' }, { type: 'organization', text: 'I.B.M.' }])).toEqual([
      { type: 'location', text: 'Paris', count: 2 },
      { type: 'person', text: 'Paris', count: 1 },
      { type: 'organization', text: 'I.B.M.', count: 1 },
    ]);
  });

  it('finds names in scripts without spaces and in full-width forms', () => {
    expect(countMentions('东京是日本的首都。东京很大。', [{ type: 'location', text: '东京' }])).toEqual([{ type: 'location', text: '东京', count: 2 }]);
    expect(countMentions('ＡＣＭＥ sells to ACME.', [{ type: 'organization', text: 'ACME' }])).toEqual([{ type: 'organization', text: 'ACME', count: 2 }]);
    // A Latin name next to a Han character is a whole word; next to an emoji too.
    expect(countMentions('iPhone发布会 😀iPhone😀 iPhones', [{ type: 'product', text: 'iPhone' }])).toEqual([{ type: 'product', text: 'iPhone', count: 2 }]);
  });
});

describe('countMentions on a hostile chunk', () => {
  it('stops counting after a fixed amount of work, so a page cannot make counting take long', () => {
    const [counted] = countMentions('a '.repeat(150_000), [{ type: 'other', text: 'a' }]);
    expect(counted?.count).toBeGreaterThan(50_000);
    expect(counted?.count).toBeLessThan(150_000);
    // Hundreds of names that are nowhere in a long chunk: each is one scan, and the scans are bounded too.
    const absent = Array.from({ length: 1_000 }, (_, index) => ({ type: 'other' as const, text: `Nobody ${index}` }));
    expect(countMentions('x'.repeat(96_000), absent).every((entity) => entity.count === 1)).toBe(true);
  });

  it('searches a chunk that compatibility folding would blow up in its canonical form', () => {
    // U+FDFA folds to 18 characters under NFKC: 96,000 of them would be searched as 1.7 million.
    // The price: full-width letters are not folded there, so "ＡＤＡ" is not "ADA" (counted once below, not twice).
    const chunk = `${'\uFDFA'.repeat(20_000)} ＡＤＡ and ADA`;
    expect(countMentions(chunk, [{ type: 'person', text: 'ADA' }])).toEqual([{ type: 'person', text: 'ADA', count: 1 }]);
    expect(countMentions('ＡＤＡ and ADA', [{ type: 'person', text: 'ADA' }])).toEqual([{ type: 'person', text: 'ADA', count: 2 }]);
  });
});

describe('countEntities with counted chunks', () => {
  it('adds the counts of every chunk, keeping the first spelling', () => {
    expect(
      countEntities([
        { type: 'person', text: 'Ada Lovelace', count: 2 },
        { type: 'location', text: 'Paris', count: 4 },
        { type: 'person', text: 'ada lovelace', count: 3 },
      ]),
    ).toEqual([
      { type: 'person', text: 'Ada Lovelace', count: 5 },
      { type: 'location', text: 'Paris', count: 4 },
    ]);
  });
});
