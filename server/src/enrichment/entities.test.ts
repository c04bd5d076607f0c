// Entity answers: tolerant parsing, schema validation, type synonyms, deduplication and counting.
import { describe, expect, it } from 'vitest';
import { countEntities, parseEntitiesAnswer } from './entities';

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
