import { describe, expect, it } from 'vitest';
import { Email, Label, ModelId } from './common';
import { RegisterRequest } from './accounts';
import { EnrichInput } from './enrich';

// Lone UTF-16 halves, alone and next to ordinary text; JSON.parse produces them from "\ud800".
const LONE_SURROGATES = ['\ud800', '\udfff', 'Work \ud83d', '\ude00 key', 'a\udc00b'];

describe('free text that is stored and audited', () => {
  it.each([
    ['Label', Label],
    ['ModelId', ModelId],
  ])('%s refuses strings that are not well-formed Unicode, with a message that says so', (_name, schema) => {
    for (const text of LONE_SURROGATES) {
      const result = schema.safeParse(text);
      expect(result.success, JSON.stringify(text)).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/well-formed Unicode/);
    }
  });

  it.each([
    ['Label', Label],
    ['ModelId', ModelId],
  ])('%s accepts ordinary text, accents, CJK and emoji (surrogate pairs)', (_name, schema) => {
    for (const text of ['Work', 'Clé perso', '仕事のキー', 'Team 🔑 key', '👩‍💻', 'gpt-4o-mini']) {
      expect(schema.safeParse(text).success, text).toBe(true);
    }
  });

  it('Label still trims and bounds its length', () => {
    expect(Label.parse('  Work 🔑  ')).toBe('Work 🔑');
    expect(Label.safeParse('   ').success).toBe(false);
    expect(Label.safeParse('x'.repeat(101)).success).toBe(false);
  });

  it('Email refuses a lone surrogate and accepts internationalized addresses', () => {
    expect(Email.safeParse('alice\ud800@example.com').success).toBe(false);
    expect(Email.safeParse('alice@exa\udfffmple.com').success).toBe(false);
    expect(Email.safeParse('zoë@example.com').success).toBe(true);
    expect(Email.safeParse('😀@example.com').success).toBe(true);
  });

  it('the enrich url, title and content type repair a lone surrogate, the invite code refuses one; the text may carry one', () => {
    const input = { kind: 'page', text: 'Broken \ud800 page text', url: 'https://example.com/a', title: 'Title 🔑', contentType: 'text/html' };
    expect(EnrichInput.parse(input)).toEqual(input);
    for (const field of ['url', 'title', 'contentType'] as const) {
      expect(EnrichInput.parse({ ...input, [field]: `x\udc00 🔑` })[field], field).toBe('x\uFFFD 🔑');
    }
    const register = { email: 'a@example.com', authProof: 'A'.repeat(43), kdf: { name: 'PBKDF2-SHA256', iterations: 600_000, salt: 'A'.repeat(22) } };
    expect(RegisterRequest.safeParse({ ...register, inviteCode: 'abc\ud83d' }).success).toBe(false);
    expect(RegisterRequest.safeParse({ ...register, inviteCode: ' abc ' }).data?.inviteCode).toBe('abc');
  });
});
