// Chunk boundaries: paragraphs first, then sentences, then whitespace; sizes from the catalog context.
import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_CHARS, MIN_CHUNK_CHARS, chunkCharsForContext, chunkCharsForText, chunkText, estimateTokens } from './chunking';
import { splitParagraphs, splitSentences } from './text-split';
import { createLimiter } from './limiter';

describe('splitSentences', () => {
  it('splits on sentence ends but not on abbreviations or initials', () => {
    expect(splitSentences('Dr. Smith met J. Doe at 5 p.m. in the U.S. office. They talked! Did it work? Yes.')).toEqual([
      'Dr. Smith met J. Doe at 5 p.m. in the U.S. office.',
      'They talked!',
      'Did it work?',
      'Yes.',
    ]);
  });

  it('treats line breaks as boundaries and keeps closing quotes with the sentence', () => {
    expect(splitSentences('He said "stop." Then left\nA heading\nBody text.')).toEqual(['He said "stop."', 'Then left', 'A heading', 'Body text.']);
  });
});

describe('splitParagraphs', () => {
  it('splits on blank lines, including ones with spaces and CRLF', () => {
    expect(splitParagraphs('one\n\ntwo\r\n \r\nthree\nstill three\n\n\n')).toEqual(['one', 'two', 'three\nstill three']);
  });
});

describe('chunkText', () => {
  const paragraph = (index: number, sentences: number): string =>
    Array.from({ length: sentences }, (_, sentence) => `Paragraph ${index} sentence ${sentence} has some words in it.`).join(' ');

  it('keeps a short text in one chunk, unchanged', () => {
    const text = `${paragraph(1, 3)}\n\n${paragraph(2, 3)}`;
    expect(chunkText(text, 10_000)).toEqual([text]);
  });

  it('packs whole paragraphs and never exceeds the limit', () => {
    const paragraphs = Array.from({ length: 30 }, (_, index) => paragraph(index, 5));
    const chunks = chunkText(paragraphs.join('\n\n'), 1_000);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(1_000);
      // Every chunk starts at a paragraph start and ends at a paragraph end.
      expect(chunk.startsWith('Paragraph')).toBe(true);
      expect(chunk.endsWith('in it.')).toBe(true);
    }
    expect(chunks.join('\n\n')).toBe(paragraphs.join('\n\n'));
  });

  it('splits an oversized paragraph on sentence boundaries', () => {
    const big = paragraph(7, 100);
    const chunks = chunkText(big, 500);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(500);
      expect(chunk).toMatch(/^Paragraph 7 sentence \d+ .* in it\.$/);
    }
    expect(chunks.join(' ')).toBe(big);
  });

  it('cuts an oversized sentence on whitespace, losing no words', () => {
    const words = Array.from({ length: 400 }, (_, index) => `word${index}`);
    const chunks = chunkText(words.join(' '), 300);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(300);
    expect(chunks.join(' ').split(' ')).toEqual(words);
  });

  it('handles 2 MiB of text quickly', () => {
    const text = Array.from({ length: 6_000 }, (_, index) => paragraph(index, 6)).join('\n\n').slice(0, 2 * 1024 * 1024);
    const started = Date.now();
    const chunks = chunkText(text, chunkCharsForContext(128_000));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(text.length / MAX_CHUNK_CHARS));
    expect(chunks.join('').length).toBeGreaterThan(text.length * 0.99);
  });
});

describe('chunkCharsForContext', () => {
  it('fits the context with room for output and overhead, within bounds', () => {
    const small = chunkCharsForContext(8_192);
    expect(estimateTokens('x'.repeat(small)) + 2048 + 400).toBeLessThanOrEqual(8_192);
    expect(chunkCharsForContext(1_000_000)).toBe(MAX_CHUNK_CHARS);
    expect(chunkCharsForContext(100)).toBe(MIN_CHUNK_CHARS);
  });
});

describe('dense and hostile text', () => {
  it('splits a long line of periods that end nothing in linear time (it was quadratic: minutes for 400,000 characters)', () => {
    // Lower-case continuations and abbreviations: no period here ends a sentence.
    const line = 'see fig. 3 and more. '.repeat(20_000);
    const chunks = chunkText(line, 16_000);
    expect(chunks.join(' ').replace(/\s+/g, ' ').trim()).toBe(line.replace(/\s+/g, ' ').trim());
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(16_000);
  });

  it('sizes chunks of CJK text by its tokens, splits it on 。！？ and never cuts an emoji in half', () => {
    const sentence = '東京は日本の首都であり、多くの人々が暮らしています。';
    const text = sentence.repeat(4_000);
    const budget = chunkCharsForContext(8_192);
    const chunks = chunkText(text, chunkCharsForText(text, budget));
    expect(chunks.length).toBeGreaterThan(1);
    // Each chunk fits the tokens the character budget was meant for (4 characters a token).
    for (const chunk of chunks) expect(estimateTokens(chunk)).toBeLessThanOrEqual(Math.ceil(budget / 4));
    // Cut at a full stop, not mid-sentence.
    for (const chunk of chunks) expect(chunk.endsWith('。')).toBe(true);
    expect(splitSentences('一つ目。二つ目！三つ目？')).toEqual(['一つ目。', '二つ目！', '三つ目？']);
    const emoji = `x${'😀'.repeat(60_000)}`;
    for (const chunk of chunkText(emoji, chunkCharsForText(emoji, budget))) {
      expect(/\p{Surrogate}/u.test(chunk), 'a lone surrogate').toBe(false);
    }
  });
});

describe('createLimiter', () => {
  it('never runs more than its limit, even when a call arrives as a slot is handed over', async () => {
    const limit = createLimiter(1);
    let running = 0;
    let peak = 0;
    const body = async (): Promise<void> => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
    };
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = limit(async () => {
      running += 1;
      peak = Math.max(peak, running);
      await gate;
      running -= 1;
    });
    const waiting = limit(body);
    open();
    // A new call in the turns between the first task's end and the waiter's start.
    await Promise.resolve();
    await Promise.resolve();
    const late = limit(body);
    await Promise.all([first, waiting, late]);
    expect(peak).toBe(1);
  });
});
