// Splits long inputs into chunks that fit a model's context: paragraphs are packed together first,
// an oversized paragraph is split into sentences, and an oversized sentence is cut on whitespace.
import { OUTPUT_TOKENS, PROMPT_OVERHEAD_TOKENS } from './prompts';
import { splitParagraphs, splitSentences } from './text-split';

/**
 * Conservative token estimate: 4 characters per token for alphabetic text (a typical English
 * average), one token per CJK character and two per character outside the BMP (emoji), which
 * tokenizers split finely. Callers keep a margin.
 */
export function estimateTokens(text: string): number {
  let narrow = 0;
  let wide = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff) {
      wide += 2;
      index += 1;
    } else if ((code >= 0x2e80 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xff00 && code <= 0xffef)) {
      wide += 1;
    } else {
      narrow += 1;
    }
  }
  return Math.ceil(narrow / 4 + wide);
}

/**
 * `maxChars` for this text: the character budget assumes 4 characters per token, so a denser text
 * (CJK, emoji) gets proportionally fewer characters per chunk.
 */
export function chunkCharsForText(text: string, maxChars: number): number {
  const density = estimateTokens(text) / Math.max(1, text.length / 4);
  return density <= 1 ? maxChars : Math.max(Math.min(MIN_CHUNK_CHARS, maxChars), Math.floor(maxChars / density));
}

/** Chunks stay well under large contexts so map calls stay quick and parallel (about 24k tokens). */
export const MAX_CHUNK_CHARS = 96_000;
export const MIN_CHUNK_CHARS = 1_000;

/**
 * Characters of document per chunk for a model with `contextTokens`: what is left after the
 * largest output budget and the prompt overhead, minus a 25 % margin for estimation error.
 */
export function chunkCharsForContext(contextTokens: number): number {
  const available = contextTokens - OUTPUT_TOKENS.entities - PROMPT_OVERHEAD_TOKENS;
  const chars = Math.floor(available * 0.75 * 4);
  return Math.max(MIN_CHUNK_CHARS, Math.min(MAX_CHUNK_CHARS, chars));
}

/** Characters per chunk of `text` for a model with `contextTokens`: what chunking and the cost estimate both use. */
export function chunkCharsFor(text: string, contextTokens: number): number {
  return chunkCharsForText(text, chunkCharsForContext(contextTokens));
}

function hardSplit(text: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const space = rest.lastIndexOf(' ', maxChars);
    let cut = space > maxChars / 2 ? space : maxChars;
    // Never between the two halves of a surrogate pair (an emoji): a lone half is invalid text.
    const before = rest.charCodeAt(cut - 1);
    if (before >= 0xd800 && before <= 0xdbff) cut -= 1;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/** Units no longer than maxChars, on the largest boundary that allows it. */
function units(text: string, maxChars: number): Array<{ text: string; paragraphStart: boolean }> {
  const result: Array<{ text: string; paragraphStart: boolean }> = [];
  for (const paragraph of splitParagraphs(text)) {
    if (paragraph.length <= maxChars) {
      result.push({ text: paragraph, paragraphStart: true });
      continue;
    }
    let first = true;
    for (const sentence of splitSentences(paragraph)) {
      for (const piece of sentence.length <= maxChars ? [sentence] : hardSplit(sentence, maxChars)) {
        result.push({ text: piece, paragraphStart: first });
        first = false;
      }
    }
  }
  return result;
}

/** Greedy packing of units into chunks of at most maxChars; the input order is kept. */
export function chunkText(text: string, maxChars: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const unit of units(text, maxChars)) {
    const separator = current === '' ? '' : unit.paragraphStart ? '\n\n' : ' ';
    if (current !== '' && current.length + separator.length + unit.text.length > maxChars) {
      chunks.push(current);
      current = unit.text;
    } else {
      current += separator + unit.text;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
