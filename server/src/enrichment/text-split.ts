// Splitting text on natural boundaries: paragraphs (blank lines) and sentences. Used to chunk long
// inputs for providers and by the builtin summarizer to score sentences.

/** Paragraphs separated by one or more blank lines, trimmed, empty ones dropped. */
export function splitParagraphs(text: string): string[] {
  return text
    .split(/\r?\n[ \t]*\r?\n+/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0);
}

// A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by whitespace, unless the
// word before the period is a common abbreviation or a single initial ("J. Smith", "e.g. this").
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'inc', 'ltd', 'co', 'corp',
  'no', 'fig', 'approx', 'dept', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
  'u.s', 'u.k', 'mt', 'gen', 'gov', 'sen', 'rep', 'ca', 'cf', 'al',
]);

/** How far back from a period the word before it is looked for: longer than any abbreviation. */
const LAST_WORD_WINDOW = 64;

/**
 * Sentences of a text in order; line breaks inside a paragraph also end a sentence-like line. Every
 * step looks at a bounded window around the boundary, so a 2 MiB line of periods that end nothing
 * ("fig. 3", lower-case continuations) takes linear time: the event loop is everyone's.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const line of text.split(/\r?\n+/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let start = 0;
    // Western ends need whitespace after them; CJK full stops (。！？) end a sentence as they are.
    const boundary = /[.!?…]+["'”’)\]]*(?=\s)|[。！？]+[」』”’）)]*/gu;
    const nextVisible = /\s*(\S)/uy;
    let match: RegExpExecArray | null;
    while ((match = boundary.exec(trimmed)) !== null) {
      const end = match.index + match[0].length;
      const before = trimmed.slice(Math.max(start, match.index - LAST_WORD_WINDOW), match.index);
      const lastWord = (before.split(/\s+/).pop() ?? '').toLowerCase().replace(/^[("'“‘]+/, '');
      const isAbbreviation = match[0] === '.' && (ABBREVIATIONS.has(lastWord) || /^[a-z]$/i.test(lastWord) || /^([a-z]\.)+[a-z]$/i.test(lastWord));
      // A lower-case continuation ("5 p.m. in the") means the period did not end a sentence.
      nextVisible.lastIndex = end;
      const nextChar = nextVisible.exec(trimmed)?.[1] ?? '';
      if (isAbbreviation || /\p{Ll}/u.test(nextChar)) continue;
      const sentence = trimmed.slice(start, end).trim();
      if (sentence !== '') sentences.push(sentence);
      start = end;
    }
    const rest = trimmed.slice(start).trim();
    if (rest !== '') sentences.push(rest);
  }
  return sentences;
}
