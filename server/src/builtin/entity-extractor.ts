// Offline entity extraction with compromise: people, organizations, places, dates, and other proper
// nouns as a fallback. Returns every occurrence (duplicates included); the mentions are counted in
// one place (enrichment/entities.ts, in the text itself) for every provider alike.
import nlp from 'compromise';
import type { EntityType } from '@byok/shared/wire/enrich';
import { nextTurn } from './turns';

export interface RawEntity {
  readonly type: EntityType;
  readonly text: string;
}

// compromise tags 100-400 KiB per second here, and more slowly per character on longer inputs
// (20,000 characters in one call took longer than four calls of 5,000). Inputs are read in slices
// that end on paragraph or sentence breaks, with a turn of the event loop before each (turns.ts),
// so that one request holds the loop for ~20 ms at a time, not for the whole document.
const SLICE_CHARS = 5_000;
const MAX_ENTITIES = 1000;

function clean(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/^[\s"'“‘([,;:.-]+/, '')
    .replace(/[\s"'”’)\],;:!?.-]+$/, '')
    .replace(/['’]s$/, '')
    .trim();
}

function slices(text: string): string[] {
  const result: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      const paragraph = text.lastIndexOf('\n\n', end);
      const sentence = text.lastIndexOf('. ', end);
      const cut = paragraph > start + SLICE_CHARS / 2 ? paragraph : sentence > start + SLICE_CHARS / 2 ? sentence + 1 : end;
      end = cut;
    }
    result.push(text.slice(start, end));
    start = end;
  }
  return result;
}

function fromSlice(text: string, into: RawEntity[]): void {
  const doc = nlp(text);
  const seenSpans = new Set<string>();
  const add = (type: EntityType, values: string[]): void => {
    for (const value of values) {
      const cleaned = clean(value);
      if (cleaned.length < 2 || cleaned.length > 200 || !/\p{L}|\d/u.test(cleaned)) continue;
      into.push({ type, text: cleaned });
      seenSpans.add(cleaned.toLowerCase());
    }
  };
  add('person', doc.people().out('array') as string[]);
  add('organization', doc.organizations().out('array') as string[]);
  add('location', doc.places().out('array') as string[]);
  add('date', doc.match('#Date+').out('array') as string[]);
  // Fallback: capitalised proper nouns the categories above did not claim (products, events...).
  const others = (doc.match('#ProperNoun+').out('array') as string[]).filter((value) => {
    const cleaned = clean(value).toLowerCase();
    return ![...seenSpans].some((span) => span.includes(cleaned) || cleaned.includes(span));
  });
  add('other', others);
}

/** Every entity occurrence in the text, in category order per slice; deterministic. */
export function extractEntities(text: string): RawEntity[] {
  const entities: RawEntity[] = [];
  for (const slice of slices(text)) {
    fromSlice(slice, entities);
    if (entities.length >= MAX_ENTITIES) break;
  }
  return entities.slice(0, MAX_ENTITIES);
}

/**
 * Same result as extractEntities, with a turn of the event loop before each slice (the first too:
 * the enrichment calls back to back, so a call that never yields joins its neighbours into one
 * stretch). Throws the signal's reason once it aborts, between slices.
 */
export async function extractEntitiesYielding(text: string, signal?: AbortSignal): Promise<RawEntity[]> {
  const entities: RawEntity[] = [];
  for (const slice of slices(text)) {
    await nextTurn();
    signal?.throwIfAborted();
    fromSlice(slice, entities);
    if (entities.length >= MAX_ENTITIES) break;
  }
  return entities.slice(0, MAX_ENTITIES);
}
