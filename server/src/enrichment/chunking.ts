// Splits long inputs into chunks that fit a model's context: paragraphs are packed together first,
// an oversized paragraph is split into sentences, and an oversized sentence is cut on whitespace.
import { OUTPUT_TOKENS, PROMPT_OVERHEAD_TOKENS } from './prompts';
import { splitParagraphs, splitSentences } from './text-split';

/** Conservative token estimate: 4 characters per token is a typical English average; callers keep a margin. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
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

function hardSplit(text: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const space = rest.lastIndexOf(' ', maxChars);
    const cut = space > maxChars / 2 ? space : maxChars;
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
