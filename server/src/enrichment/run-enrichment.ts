// The enrichment pipeline for one provider candidate: chunk the input to the model's context,
// summarize chunks in parallel (bounded) and merge them map-reduce style, extract entities per
// chunk with one repair retry, and report progress per finished call. The first failure cancels
// every remaining call; the usage of calls that did answer is kept so that it can be billed.
import type { EnrichTask, Entity, ProgressEvent } from '@byok/shared/wire/enrich';
import { ProviderError } from '../providers/provider-error';
import type { ProviderAdapter, ProviderCall, Prompt } from '../providers/types';
import { chunkCharsFor, chunkText, estimateTokens } from './chunking';
import { countEntities, countMentions, parseEntitiesAnswer } from './entities';
import { createLimiter } from './limiter';
import { entitiesPrompt, entitiesRepairPrompt, OUTPUT_TOKENS, PROMPT_OVERHEAD_TOKENS, summaryChunkPrompt, summaryMergePrompt } from './prompts';

export const DEFAULT_CONCURRENCY = 4;

export interface EnrichmentTarget {
  readonly adapter: ProviderAdapter;
  readonly call: Omit<ProviderCall, 'signal'>;
  /** The model's context window from the catalog. */
  readonly contextTokens: number;
}

export interface EnrichmentUsage {
  inputTokens: number;
  outputTokens: number;
  /** Provider calls that answered (failed calls carry no tokens). */
  calls: number;
}

export interface EnrichmentOutput {
  readonly summary?: string;
  readonly entities?: Entity[];
  readonly usage: EnrichmentUsage;
  readonly chunks: number;
  /** Entity answers that stayed invalid after the repair retry (their chunk contributes none). */
  readonly unparsedEntityAnswers: number;
}

export interface EnrichmentOptions {
  readonly task: EnrichTask;
  readonly text: string;
  readonly title?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
  readonly concurrency?: number;
}

/** Thrown when a provider call fails; `usage` is what the answered calls consumed before that. */
export class EnrichmentFailure extends Error {
  readonly error: ProviderError;
  readonly usage: EnrichmentUsage;

  constructor(error: ProviderError, usage: EnrichmentUsage) {
    super(error.message);
    this.name = 'EnrichmentFailure';
    this.error = error;
    this.usage = usage;
  }
}

/** Packs partial summaries into groups that fit one merge prompt. */
function groupForMerge(partials: readonly string[], maxChars: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const partial of partials) {
    if (current.length > 0 && size + partial.length + 2 > maxChars) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(partial);
    size += partial.length + 2;
  }
  if (current.length > 0) groups.push(current);
  // Never a level without progress: if nothing could be grouped, merge in pairs.
  if (groups.length >= partials.length && partials.length > 1) {
    const pairs: string[][] = [];
    for (let index = 0; index < partials.length; index += 2) pairs.push(partials.slice(index, index + 2));
    return pairs;
  }
  return groups;
}

/** The provider calls a task plans for `chunks` chunks (merges of several levels can add more). */
function plannedCalls(task: EnrichTask, chunks: number): { summaryChunks: number; merges: number; entityChunks: number } {
  const summary = task !== 'entities';
  return { summaryChunks: summary ? chunks : 0, merges: summary && chunks > 1 ? 1 : 0, entityChunks: task !== 'summary' ? chunks : 0 };
}

/**
 * What a run of `task` over `text` may consume, estimated before it starts: the document once per
 * kind of call plus each prompt's overhead for input, every call's full output budget for output.
 * Platform calls in flight hold this against the cost cap until their real usage is on record.
 */
export function estimateEnrichmentTokens(task: EnrichTask, text: string, contextTokens: number): { inputTokens: number; outputTokens: number } {
  const chunks = Math.max(1, Math.ceil(text.length / chunkCharsFor(text, contextTokens)));
  const calls = plannedCalls(task, chunks);
  const documentTokens = estimateTokens(text);
  const count = calls.summaryChunks + calls.merges + calls.entityChunks;
  return {
    inputTokens:
      documentTokens * ((calls.summaryChunks > 0 ? 1 : 0) + (calls.entityChunks > 0 ? 1 : 0)) +
      calls.merges * calls.summaryChunks * OUTPUT_TOKENS.summaryChunk +
      count * PROMPT_OVERHEAD_TOKENS,
    outputTokens: calls.summaryChunks * OUTPUT_TOKENS.summaryChunk + calls.merges * OUTPUT_TOKENS.summaryMerge + calls.entityChunks * OUTPUT_TOKENS.entities,
  };
}

export async function runEnrichment(target: EnrichmentTarget, options: EnrichmentOptions): Promise<EnrichmentOutput> {
  const provider = target.call.provider;
  const controller = new AbortController();
  const onCallerAbort = (): void => controller.abort();
  if (options.signal?.aborted) throw new EnrichmentFailure(new ProviderError({ provider, kind: 'aborted' }), { inputTokens: 0, outputTokens: 0, calls: 0 });
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const maxChars = chunkCharsFor(options.text, target.contextTokens);
  const chunks = chunkText(options.text, maxChars);
  const wantsSummary = options.task !== 'entities';
  const wantsEntities = options.task !== 'summary';
  const usage: EnrichmentUsage = { inputTokens: 0, outputTokens: 0, calls: 0 };
  const limit = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
  const inFlight = new Set<Promise<unknown>>();
  const planned = plannedCalls(options.task, chunks.length);
  let total = planned.summaryChunks + planned.merges + planned.entityChunks;
  let done = 0;
  let unparsed = 0;
  /** The first content refusal: it decides the failure even when another call failed first. */
  let refusal: ProviderError | undefined;

  const finished = (stage: string): void => {
    done += 1;
    options.onProgress?.({ done, total: Math.max(total, done), stage });
  };

  const ask = (prompt: Prompt): Promise<string> => {
    const task = limit(async () => {
      if (controller.signal.aborted) throw new ProviderError({ provider, kind: 'aborted' });
      let completion;
      try {
        // The provider is told the context the input was chunked for (Ollama sizes its window by it).
        completion = await target.adapter.complete({ ...target.call, contextTokens: target.contextTokens, signal: controller.signal }, prompt);
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'refused') refusal ??= error;
        // A refused prompt (Gemini blockReason) was still billed: count its reported tokens.
        if (error instanceof ProviderError && error.summary.usage !== undefined) {
          usage.inputTokens += error.summary.usage.inputTokens;
          usage.outputTokens += error.summary.usage.outputTokens;
          usage.calls += 1;
        }
        throw error;
      }
      usage.inputTokens += completion.usage.inputTokens;
      usage.outputTokens += completion.usage.outputTokens;
      usage.calls += 1;
      return completion.text.trim();
    });
    inFlight.add(task);
    void task.then(
      () => inFlight.delete(task),
      () => inFlight.delete(task),
    );
    return task;
  };

  const mergeLevels = async (partials: string[]): Promise<string> => {
    let level = partials;
    while (level.length > 1) {
      const groups = groupForMerge(level, maxChars);
      // The plan counted one merge; deeper trees add their extra calls as they appear.
      total += groups.length - (groups.length === 1 ? 1 : 0);
      level = await Promise.all(
        groups.map(async (group) => {
          const merged = await ask(summaryMergePrompt(group, options.title));
          finished('merge');
          return merged;
        }),
      );
    }
    return level[0] ?? '';
  };

  const summarize = async (): Promise<string> => {
    const partials = await Promise.all(
      chunks.map(async (chunk, index) => {
        const context = { index, total: chunks.length, ...(options.title === undefined ? {} : { title: options.title }) };
        const partial = await ask(summaryChunkPrompt(chunk, context));
        finished('summarize');
        return partial;
      }),
    );
    return partials.length === 1 ? (partials[0] ?? '') : mergeLevels(partials);
  };

  const entitiesOf = async (chunk: string): Promise<Entity[]> => {
    const answer = await ask(entitiesPrompt(chunk));
    let parsed = parseEntitiesAnswer(answer);
    if (!parsed.ok) parsed = parseEntitiesAnswer(await ask(entitiesRepairPrompt(chunk, answer, parsed.problem)));
    finished('entities');
    if (parsed.ok) return countMentions(chunk, parsed.entities);
    unparsed += 1;
    return [];
  };

  try {
    const [summary, entityLists] = await Promise.all([
      wantsSummary ? summarize() : Promise.resolve(undefined),
      wantsEntities ? Promise.all(chunks.map(entitiesOf)) : Promise.resolve(undefined),
    ]);
    return {
      ...(summary === undefined ? {} : { summary }),
      ...(entityLists === undefined ? {} : { entities: countEntities(entityLists.flat()) }),
      usage: { ...usage },
      chunks: chunks.length,
      unparsedEntityAnswers: unparsed,
    };
  } catch (error) {
    controller.abort();
    // Let calls already on the wire settle so their tokens are counted before reporting usage.
    await Promise.allSettled([...inFlight]);
    // Anything but a ProviderError is a bug: let it surface as one.
    if (!(error instanceof ProviderError)) throw error;
    // A refusal of the text stops the route, where a chunk's 503 or 429 would move it on: it wins
    // over whichever failure came first (unless the caller went away).
    const reported = refusal !== undefined && error.kind !== 'aborted' ? refusal : error;
    throw new EnrichmentFailure(reported, { ...usage });
  } finally {
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}
