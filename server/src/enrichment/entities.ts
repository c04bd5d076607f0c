// Entities from a provider answer: lenient JSON extraction, type synonyms, validation against the
// wire schema, then deduplication (case- and whitespace-insensitive, per type) and counting.
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

/** Counts duplicates; the first spelling seen is kept; most frequent first, then in order of first mention. */
export function countEntities(entities: Iterable<{ type: EntityType; text: string }>): Entity[] {
  const counted = new Map<string, Entity & { order: number }>();
  let order = 0;
  for (const entity of entities) {
    const text = entity.text.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const key = dedupeKey(entity.type, text);
    const existing = counted.get(key);
    if (existing) existing.count += 1;
    else counted.set(key, { type: entity.type, text, count: 1, order: order++ });
  }
  return [...counted.values()]
    .sort((left, right) => right.count - left.count || left.order - right.order)
    .map(({ type, text, count }) => ({ type, text, count }));
}
