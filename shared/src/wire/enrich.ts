// Wire schemas of `POST /v1/enrich` (API.md "Enrichment"): the request with its limits, the
// receipt-style response (route, attempts, usage), streaming frames, and the JSON shape the
// server asks providers for when extracting entities.
import { z } from 'zod';
import { ProviderId } from '../providers/types';
import { Count, GrantToken, ModelId, RepairedText, Uuid } from './common';

/** 2 MiB of UTF-8 (API.md "Limits"). */
export const MAX_ENRICH_TEXT_BYTES = 2 * 1024 * 1024;
/** At most 8 grants per request (CRYPTO.md section 7). */
export const MAX_ENRICH_GRANTS = 8;
/** `params.reason` of the issue raised for text over MAX_ENRICH_TEXT_BYTES. */
export const PAYLOAD_TOO_LARGE_REASON = 'payload_too_large';

/** UTF-8 length of a JS string without allocating (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** True for the issue the text byte limit raises, so the server can answer 413, not 400. */
export function isPayloadTooLargeIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.['reason'] === PAYLOAD_TOO_LARGE_REASON;
}

/** True when any issue of `error` is the text byte limit. */
export function hasPayloadTooLargeIssue(error: z.ZodError): boolean {
  return error.issues.some(isPayloadTooLargeIssue);
}

export const EnrichText = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    // Nothing to enrich: no provider would be called, and the route would still answer and bill.
    if (!/\S/.test(text)) ctx.addIssue({ code: 'custom', message: 'input.text has nothing but whitespace' });
    // Each UTF-16 unit is at least one UTF-8 byte, so the length alone can prove "too large".
    if (text.length > MAX_ENRICH_TEXT_BYTES || utf8ByteLength(text) > MAX_ENRICH_TEXT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `input.text is over ${MAX_ENRICH_TEXT_BYTES} bytes of UTF-8`,
        params: { reason: PAYLOAD_TOO_LARGE_REASON },
      });
    }
  });

export const EnrichTask = z.enum(['summary', 'entities', 'enrich']);
export type EnrichTask = z.infer<typeof EnrichTask>;

export const InputKind = z.enum(['page', 'selection', 'document']);
export type InputKind = z.infer<typeof InputKind>;

/** Lengths of the short fields of an enrichment's input, in UTF-16 units. */
export const ENRICH_FIELD_MAX = { url: 4096, title: 1000, contentType: 200 } as const;

export const EnrichInput = z.strictObject({
  kind: InputKind,
  text: EnrichText,
  // A page's broken characters in these are repaired, not refused (the text itself keeps them: JSON
  // escapes them on the way to the provider).
  url: RepairedText(ENRICH_FIELD_MAX.url).optional(),
  title: RepairedText(ENRICH_FIELD_MAX.title).optional(),
  contentType: RepairedText(ENRICH_FIELD_MAX.contentType).optional(),
});
export type EnrichInput = z.infer<typeof EnrichInput>;

export const EnrichRequest = z.strictObject({
  task: EnrichTask,
  input: EnrichInput,
  /** Restricts the route to this provider. */
  provider: ProviderId.optional(),
  model: ModelId.optional(),
  /** One per personal key the route may use; a key without a grant is `skipped`. */
  grants: z.array(GrantToken).max(MAX_ENRICH_GRANTS).default([]),
});
export type EnrichRequest = z.infer<typeof EnrichRequest>;

export const ENTITY_TYPES = ['person', 'organization', 'location', 'date', 'product', 'other'] as const;
export const EntityType = z.enum(ENTITY_TYPES);
export type EntityType = z.infer<typeof EntityType>;

export const Entity = z.object({ type: EntityType, text: z.string(), count: z.int().min(1) });
export type Entity = z.infer<typeof Entity>;

/** Where the key that paid came from. */
export const RouteSource = z.enum(['byok', 'org', 'platform', 'builtin']);
export type RouteSource = z.infer<typeof RouteSource>;

export const AttemptOutcome = z.enum(['ok', 'unreachable', 'rate_limited', 'key_rejected', 'skipped']);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

export const RouteAttempt = z.object({
  provider: ProviderId,
  source: RouteSource,
  outcome: AttemptOutcome,
  ms: Count,
});
export type RouteAttempt = z.infer<typeof RouteAttempt>;

export const Route = z.object({
  provider: ProviderId,
  model: z.string(),
  source: RouteSource,
  secretId: Uuid.optional(),
  attempts: z.array(RouteAttempt),
});
export type Route = z.infer<typeof Route>;

export const CallUsage = z.object({
  inputTokens: Count,
  outputTokens: Count,
  costMicros: Count,
  calls: Count,
});
export type CallUsage = z.infer<typeof CallUsage>;

export const EnrichResponse = z.object({
  requestId: z.string(),
  summary: z.string().optional(),
  entities: z.array(Entity).optional(),
  route: Route,
  usage: CallUsage,
});
export type EnrichResponse = z.infer<typeof EnrichResponse>;

/** `event: progress` frames while streaming; `stage` is a short word such as "summarize". */
export const ProgressEvent = z.object({ done: Count, total: Count, stage: z.string() });
export type ProgressEvent = z.infer<typeof ProgressEvent>;

export const STREAM_EVENTS = ['progress', 'result', 'error'] as const;
export type StreamEventName = (typeof STREAM_EVENTS)[number];

/** What the server asks a provider to answer when extracting entities (it counts duplicates itself). */
export const ProviderEntitiesPayload = z.object({
  entities: z.array(z.object({ type: EntityType, text: z.string().min(1).max(500) })).max(1000),
});
export type ProviderEntitiesPayload = z.infer<typeof ProviderEntitiesPayload>;
