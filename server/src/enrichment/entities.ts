// Entities from a provider answer: lenient JSON extraction, type synonyms, validation against the
// wire schema, then deduplication (case- and whitespace-insensitive, per type) and counting. The
// provider lists each distinct entity of a chunk once; the mentions are counted here, in the chunk.
import { ENTITY_TYPES, ProviderEntitiesPayload, type Entity, type EntityType } from '@byok/shared/wire/enrich';

const TYPE_SYNONYMS: Record<string, EntityType> = {
  person: 'person', people: 'person', per: 'person', human: 'person', name: 'person',
  organization: 'organization', organisation: 'organization', org: 'organization', company: 'organization',
  institution: 'organization', agency: 'organization',
  location: 'location', place: 'location', loc: 'location', gpe: 'location', city: 'location', country: 'location',
  date: 'date', time: 'date', datetime: 'date',
  product: 'product', work_of_art: 'product', software: 'product',
  other: 'other', misc: 'other', event: 'other',
};

export type ParseEntitiesResult =
  | { readonly ok: true; readonly entities: ReadonlyArray<{ type: EntityType; text: string }>; readonly partial?: true }
  | { readonly ok: false; readonly problem: string };

/** The JSON object in an answer, tolerating a code fence or prose around it. */
function extractJson(answer: string): unknown {
  const trimmed = answer.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    const start = trimmed.indexOf('{');
    const end = trimmed.lastIndexOf('}');
    if (start === -1 || end <= start) return undefined;
    try {
      return JSON.parse(trimmed.slice(start, end + 1)) as unknown;
    } catch {
      return undefined;
    }
  }
}

function normalizeTypes(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('entities' in value)) return value;
  const list = (value as { entities: unknown }).entities;
  if (!Array.isArray(list)) return value;
  return {
    entities: list.map((item: unknown) => {
      if (typeof item !== 'object' || item === null) return item;
      const record = item as Record<string, unknown>;
      const rawType = typeof record.type === 'string' ? record.type.trim().toLowerCase() : record.type;
      const type = typeof rawType === 'string' ? (TYPE_SYNONYMS[rawType] ?? ((ENTITY_TYPES as readonly string[]).includes(rawType) ? rawType : 'other')) : rawType;
      const text = typeof record.text === 'string' ? record.text.trim() : record.text;
      return { type, text };
    }),
  };
}

/**
 * The complete entity objects of an answer cut off by its output budget (`{"entities": [{...},
 * {...}, {"type": "per`): a long chunk can have more mentions than the budget holds, and asking
 * again with the same budget would be cut off the same way.
 */
function salvageCutOff(answer: string): unknown {
  const list = /"entities"\s*:\s*\[/.exec(answer);
  if (list === null) return undefined;
  const items: unknown[] = [];
  for (const match of answer.slice(list.index + list[0].length).matchAll(/\{[^{}]*\}/g)) {
    try {
      items.push(JSON.parse(match[0]) as unknown);
    } catch {
      // A fragment that is not a whole object (a brace inside a string): skipped.
    }
  }
  return items.length === 0 ? undefined : { entities: items };
}

export function parseEntitiesAnswer(answer: string): ParseEntitiesResult {
  const json = extractJson(answer);
  if (json === undefined) {
    const salvaged = salvageCutOff(answer);
    const parsed = salvaged === undefined ? undefined : ProviderEntitiesPayload.safeParse(normalizeTypes(salvaged));
    if (parsed?.success) return { ok: true, entities: parsed.data.entities, partial: true };
    return { ok: false, problem: 'the answer is not JSON' };
  }
  const parsed = ProviderEntitiesPayload.safeParse(normalizeTypes(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'root';
    return { ok: false, problem: `the JSON does not match the shape at ${where}` };
  }
  return { ok: true, entities: parsed.data.entities };
}

function dedupeKey(type: EntityType, text: string): string {
  return `${type}\u0000${text.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase()}`;
}

/**
 * Letters, digits, marks, joining punctuation ("_") and invisible format characters (soft hyphen,
 * zero-width joiner): a mention must not run on into one, so "Ada" is not found in "Adam".
 */
const WORD_CHAR = /[\p{L}\p{N}\p{M}\p{Pc}\p{Cf}]/u;
/** Scripts written without spaces between words, where a name may touch the next word. */
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

function isUnspaced(char: string | undefined): boolean {
  return char !== undefined && UNSPACED_SCRIPT.test(char);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char) && !isUnspaced(char);
}

/** The code point that ends just before `index`, or undefined at the start. */
function charBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const code = text.charCodeAt(index - 1);
  const start = code >= 0xdc00 && code <= 0xdfff && index >= 2 ? index - 2 : index - 1;
  return String.fromCodePoint(text.codePointAt(start) ?? code);
}

function charAt(text: string, index: number): string | undefined {
  const point = text.codePointAt(index);
  return point === undefined ? undefined : String.fromCodePoint(point);
}

/**
 * Text as names are looked for in it: one space for any run of white space and, with
 * `compatibility`, compatibility forms folded (full-width letters, ligatures).
 */
function searchForm(text: string, compatibility: boolean): string {
  return text.normalize(compatibility ? 'NFKC' : 'NFC').replace(/\s+/g, ' ');
}

/** Upper- and title-case letters lowered where that keeps the length, so positions stay those of the cased text. */
function foldCase(text: string): string {
  return text.replace(/[\p{Lu}\p{Lt}]/gu, (char) => {
    const lower = char.toLowerCase();
    return lower.length === char.length ? lower : char;
  });
}

/** Text in capitals throughout (a heading), which may spell any name. */
function isShouted(text: string): boolean {
  return text === text.toUpperCase() && text !== text.toLowerCase();
}

/** Work per chunk, in characters scanned; each candidate position costs as much as CANDIDATE_COST characters. */
const WORK_PER_CHUNK = 20_000_000;
const CANDIDATE_COST = 200;

/**
 * The distinct entities of one chunk's answer, each with the number of times the chunk mentions
 * it. A mention is a whole word in scripts with spaces (anywhere in Chinese, Japanese or Thai),
 * white-space-insensitive, and never counted twice: longer names take their mentions first, so
 * "Curie" counts only the mentions that are not part of "Marie Curie". Case matters where the name
 * has capitals ("US" is not "us", "May" not "may"), except in text in capitals throughout. An
 * entity the model listed but the chunk does not spell out (the model normalized it, or one
 * spelling was listed under two types) counts once. A model that still lists every mention is
 * deduplicated first, so its count is the text's, not the list's.
 */
export function countMentions(chunk: string, entities: Iterable<{ type: EntityType; text: string }>): Entity[] {
  // NFKC expands a few characters up to eighteenfold: a chunk it would more than double is searched
  // in NFC, and so are the names.
  const compatible = chunk.normalize('NFKC');
  const compatibility = compatible.length <= chunk.length * 2;
  const distinct = new Map<string, { type: EntityType; text: string; cased: string; needle: string; count: number }>();
  for (const entity of entities) {
    const text = entity.text.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const key = dedupeKey(entity.type, text);
    if (distinct.has(key)) continue;
    const cased = searchForm(text, compatibility).trim();
    distinct.set(key, { type: entity.type, text, cased, needle: foldCase(cased), count: 0 });
  }
  if (distinct.size === 0) return [];
  const cased = compatibility ? compatible.replace(/\s+/g, ' ') : searchForm(chunk, false);
  const haystack = foldCase(cased);
  const taken = new Uint8Array(haystack.length);
  const longestFirst = [...distinct.values()].sort((left, right) => right.needle.length - left.needle.length);
  // The chunk is a web page and the list is a model's answer to it: a page that gets hundreds of
  // one-letter "entities" listed could make every position a candidate for every one of them.
  // Counting stops after a fixed amount of work per chunk (tens of ms); the rest count as listed.
  let work = WORK_PER_CHUNK;
  for (const entry of longestFirst) {
    const { needle } = entry;
    const anyCase = entry.cased === needle;
    const checkStart = !isUnspaced(charAt(needle, 0));
    const checkEnd = !isUnspaced(charBefore(needle, needle.length));
    let from = 0;
    while (work > 0) {
      const at = haystack.indexOf(needle, from);
      work -= (at === -1 ? haystack.length : at + needle.length) - from + CANDIDATE_COST;
      if (at === -1) break;
      const end = at + needle.length;
      const whole = (!checkStart || !isWordChar(charBefore(haystack, at))) && (!checkEnd || !isWordChar(charAt(haystack, end)));
      const spelled = whole && (anyCase || cased.startsWith(entry.cased, at) || isShouted(cased.slice(at, end)));
      if (spelled && taken.subarray(at, end).every((byte) => byte === 0)) {
        taken.fill(1, at, end);
        entry.count += 1;
        from = end;
      } else {
        from = at + 1;
      }
    }
  }
  return [...distinct.values()].map(({ type, text, count }) => ({ type, text, count: Math.max(count, 1) }));
}

/**
 * Merges counted entities (the chunks' countMentions, or single mentions without a count); the
 * first spelling seen is kept; most frequent first, then in order of first mention.
 */
export function countEntities(entities: Iterable<{ type: EntityType; text: string; count?: number }>): Entity[] {
  const counted = new Map<string, Entity & { order: number }>();
  let order = 0;
  for (const entity of entities) {
    const text = entity.text.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const key = dedupeKey(entity.type, text);
    const existing = counted.get(key);
    const count = entity.count ?? 1;
    if (existing) existing.count += count;
    else counted.set(key, { type: entity.type, text, count, order: order++ });
  }
  return [...counted.values()]
    .sort((left, right) => right.count - left.count || left.order - right.order)
    .map(({ type, text, count }) => ({ type, text, count }));
}
