// Offline extractive summary: scores each sentence by the frequency of its content words across the
// whole text, nudged by position and length, and returns the best sentences in their original
// order. Deterministic: same text, same summary.
import { splitSentences } from '../enrichment/text-split';
import { STOP_WORDS } from './stop-words';

export interface SummaryOptions {
  /** Upper bound on sentences picked; default scales with the text (20 %, between 1 and 7). */
  readonly maxSentences?: number;
  /** Upper bound on summary length in characters; default 1200. */
  readonly maxChars?: number;
}

function contentWords(sentence: string): string[] {
  return (sentence.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [])
    .map((word) => word.replace(/['’]s$/, ''))
    .filter((word) => word.length > 2 && !STOP_WORDS.has(word) && !/^\d+$/.test(word));
}

export function summarizeExtractive(text: string, options: SummaryOptions = {}): string {
  const sentences = splitSentences(text);
  if (sentences.length === 0) return '';
  const maxChars = options.maxChars ?? 1200;
  const wanted = options.maxSentences ?? Math.min(7, Math.max(1, Math.round(sentences.length * 0.2)));
  if (sentences.length <= wanted) return sentences.join(' ').slice(0, maxChars).trim();

  const words = sentences.map(contentWords);
  const frequency = new Map<string, number>();
  for (const list of words) for (const word of list) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const top = Math.max(1, ...frequency.values());

  const scored = sentences.map((sentence, index) => {
    const list = words[index] ?? [];
    const unique = new Set(list);
    let termScore = 0;
    for (const word of unique) termScore += (frequency.get(word) ?? 0) / top;
    // Dividing by sqrt(length) keeps long sentences from winning by size alone.
    termScore = unique.size === 0 ? 0 : termScore / Math.sqrt(unique.size);
    // Leads carry the topic in most prose; the bonus fades over the first tenth of the text.
    const position = 1 + 0.5 * Math.max(0, 1 - index / Math.max(1, sentences.length * 0.1));
    const wordCount = sentence.split(/\s+/).length;
    const length = wordCount < 5 ? 0.4 : wordCount > 60 ? 0.7 : 1;
    return { index, sentence, score: termScore * position * length };
  });

  const ranked = [...scored].sort((left, right) => right.score - left.score || left.index - right.index);
  const picked: typeof scored = [];
  let size = 0;
  for (const candidate of ranked) {
    if (picked.length >= wanted) break;
    if (picked.length > 0 && size + candidate.sentence.length + 1 > maxChars) continue;
    picked.push(candidate);
    size += candidate.sentence.length + 1;
  }
  return picked
    .sort((left, right) => left.index - right.index)
    .map((entry) => entry.sentence)
    .join(' ')
    .slice(0, maxChars)
    .trim();
}
