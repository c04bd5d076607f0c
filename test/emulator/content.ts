// What the emulated models "answer": a deterministic reduction of the document for summaries and a
// deterministic entity list for entity prompts, plus token counts computed from the text.

/** Roughly four characters per token, never zero for non-empty text. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

/** The fenced document of a companion prompt, or the whole text when there is no fence. */
export function documentOf(prompt: string): string {
  const match = /<document>\n?([\s\S]*?)\n?<\/document>/.exec(prompt);
  return (match?.[1] ?? prompt).trim();
}

export function isEntitiesPrompt(prompt: string): boolean {
  return prompt.includes('"entities"');
}

/** First sentence of each of the first three paragraphs, capped: stable for a given input. */
export function reduceToSummary(document: string): string {
  const paragraphs = document.split(/\n\s*\n/).map((paragraph) => paragraph.trim()).filter(Boolean);
  const firsts = paragraphs.slice(0, 3).map((paragraph) => {
    const match = /^[\s\S]*?[.!?](?=\s|$)/.exec(paragraph);
    return (match?.[0] ?? paragraph).replace(/\s+/g, ' ').trim();
  });
  const summary = firsts.join(' ');
  return summary.length > 400 ? `${summary.slice(0, 397)}...` : summary || 'Empty document.';
}

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';
const PLACES = new Set(['Berlin', 'Paris', 'London', 'Tokyo', 'Germany', 'France', 'Europe', 'Munich', 'Zurich', 'California']);
const ORG_SUFFIX = /\b(Inc|Corp|Ltd|GmbH|AG|University|Institute|Bank|Council)\b/;

/**
 * Capitalised word runs and month dates, typed by simple rules; each distinct entity listed once,
 * in order of first mention, as the entities prompt asks (the companion counts the mentions).
 */
export function entitiesOf(document: string): Array<{ type: string; text: string }> {
  const entities: Array<{ type: string; text: string }> = [];
  for (const match of document.matchAll(new RegExp(`\\b(?:${MONTHS}) \\d{1,2}(?:, \\d{4})?`, 'g'))) {
    entities.push({ type: 'date', text: match[0] });
  }
  const runs = document.matchAll(/\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*(?:\s+(?:Inc|Corp|Ltd|GmbH|AG))?\b/g);
  for (const match of runs) {
    // Sentence-initial function words are capitalised too; they are not names.
    const text = match[0].replace(/^(?:The|It|This|That|A|An|In|On|He|She|They|We|I|But|And|When|Its)(?:\s+|$)/, '');
    if (text === '' || new RegExp(`^(?:${MONTHS})$`).test(text)) continue;
    const type = ORG_SUFFIX.test(text) ? 'organization' : PLACES.has(text) ? 'location' : text.includes(' ') ? 'person' : 'other';
    entities.push({ type, text });
  }
  const seen = new Set<string>();
  const distinct = entities.filter(({ type, text }) => {
    const key = `${type}\u0000${text.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return distinct.slice(0, 500);
}

/** The answer text for a prompt; `brokenEntities` yields deliberately invalid JSON. */
export function answerFor(prompt: string, brokenEntities: boolean): string {
  const document = documentOf(prompt);
  if (isEntitiesPrompt(prompt)) {
    if (brokenEntities) return 'Sure! Here are the entities: {"entities": [{"type": "person", "text": ';
    return JSON.stringify({ entities: entitiesOf(document) });
  }
  return reduceToSummary(document);
}
