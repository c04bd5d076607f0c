// The provider emulator: one loopback HTTP server that speaks every provider protocol at its real
// paths (OpenAI-compatible ones under a per-provider prefix), checks keys the way each provider
// does, answers with realistic usage, fails on request through knobs, and records every request.
// Test infrastructure only: never part of the product's runtime.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROVIDERS } from '@byok/shared';
import {
  PROTOCOL_OF,
  authErrorReply,
  blockedPromptReply,
  filteredAnswerReply,
  exhaustedBudgetReply,
  requestedOutputTokens,
  completionReply,
  listedModelIds,
  modelListReply,
  modelSettingsReply,
  presentedKey,
  rateLimitReply,
  readChatInput,
  recitationReply,
  serverErrorReply,
  wrongShapeReply,
  type JsonReply,
  type Protocol,
} from './protocols';
import { isEntitiesPrompt } from './content';
import { EMULATED_PROVIDERS, type Behavior, type BehaviorTarget, type EmulatedProvider, type RecordedRequest, type ReportedUsage } from './types';

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Ready-made BYOK_PROVIDER_BASE_URLS values (version path included for OpenAI-compatible ones). */
  readonly urls: Readonly<Record<EmulatedProvider, string>>;
  addKey(provider: EmulatedProvider, key: string): void;
  setBehavior(target: BehaviorTarget, behavior: Behavior | null): void;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /**
   * The usage put in every chat answer that reported some (completions and blocked prompts), in
   * the order the answers were sent: what a caller summing usage must arrive at.
   */
  readonly reportedUsage: ReportedUsage[];
  /**
   * Bytes written for each `hugeBodyBytes` answer, in the order they ended or were cut: how much
   * left before the client hung up (the body is streamed with backpressure, never buffered).
   */
  readonly hugeBodiesSent: number[];
  /**
   * [arrival, end of the answer] of every request, in this process's performance.now() ms: meaningful
   * next to the caller's own clock only when the emulator runs in the caller's process.
   */
  readonly answered: Array<[number, number]>;
  /** Requests currently being handled (includes hung ones). */
  inFlight(): number;
  /** Most requests handled at once since start or the last reset. */
  peakInFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

// Longest first so that /groq/openai/v1 is not taken for something shorter.
const PREFIXES: ReadonlyArray<readonly [EmulatedProvider, string]> = [
  ['groq', '/groq/openai/v1'],
  ['openai', '/openai/v1'],
  ['mistral', '/mistral/v1'],
  ['lmstudio', '/lmstudio/v1'],
  ['vllm', '/vllm/v1'],
  ['aleph-alpha', '/aleph-alpha'],
  ['ollama', '/ollama'],
  ['azure-openai', '/azure'],
];

const KEY_OPTIONAL: ReadonlySet<EmulatedProvider> = new Set(['ollama', 'lmstudio', 'vllm']);
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

const HUGE_BLOCK = Buffer.alloc(64 * 1024, 'a');

/** A 200 whose JSON body is padded to `totalBytes`, written as the client reads it; `done` gets what was written. */
function streamHugeBody(response: ServerResponse, totalBytes: number, done: (bytes: number) => void): void {
  let written = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done(written);
  };
  response.on('close', finish);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.write('{"padding":"');
  const pump = (): void => {
    while (written < totalBytes && !response.destroyed) {
      written += HUGE_BLOCK.length;
      if (!response.write(HUGE_BLOCK)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end('"}');
    finish();
  };
  pump();
}

type Route = { provider: EmulatedProvider; kind: 'chat' | 'models'; pathModel: string | null; needsApiVersion: boolean } | null;

function route(method: string, pathname: string): Route {
  for (const [provider, prefix] of PREFIXES) {
    if (!pathname.startsWith(`${prefix}/`)) continue;
    const rest = pathname.slice(prefix.length);
    const protocol = PROTOCOL_OF[provider];
    if (protocol === 'openai') {
      if (method === 'POST' && rest === '/chat/completions') return { provider, kind: 'chat', pathModel: null, needsApiVersion: false };
      // Aleph Alpha (PhariaInference) lists models at /model-settings and has no /models.
      const modelList = provider === 'aleph-alpha' ? '/model-settings' : '/models';
      if (method === 'GET' && rest === modelList) return { provider, kind: 'models', pathModel: null, needsApiVersion: false };
    } else if (protocol === 'ollama') {
      if (method === 'POST' && rest === '/api/chat') return { provider, kind: 'chat', pathModel: null, needsApiVersion: false };
      if (method === 'GET' && rest === '/api/tags') return { provider, kind: 'models', pathModel: null, needsApiVersion: false };
    } else if (protocol === 'azure') {
      const deployment = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(rest);
      if (method === 'POST' && deployment) return { provider, kind: 'chat', pathModel: decodeURIComponent(deployment[1] ?? ''), needsApiVersion: true };
      if (method === 'GET' && rest === '/openai/models') return { provider, kind: 'models', pathModel: null, needsApiVersion: true };
    }
    return null;
  }
  if (method === 'POST' && pathname === '/v1/messages') return { provider: 'anthropic', kind: 'chat', pathModel: null, needsApiVersion: false };
  if (method === 'GET' && pathname === '/v1/models') return { provider: 'anthropic', kind: 'models', pathModel: null, needsApiVersion: false };
  const gemini = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(pathname);
  if (method === 'POST' && gemini) return { provider: 'google', kind: 'chat', pathModel: decodeURIComponent(gemini[1] ?? ''), needsApiVersion: false };
  if (method === 'GET' && pathname === '/v1beta/models') return { provider: 'google', kind: 'models', pathModel: null, needsApiVersion: false };
  return null;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, reply: JsonReply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...reply.headers });
  response.end(body);
}

function lowerHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export async function startEmulator(): Promise<Emulator> {
  const keys = new Map<EmulatedProvider, Set<string>>(EMULATED_PROVIDERS.map((provider) => [provider, new Set<string>()]));
  const behaviors = new Map<string, { behavior: Behavior; remaining: number; brokenEntitiesLeft: number; served: number }>();
  const requests: RecordedRequest[] = [];
  const reportedUsage: ReportedUsage[] = [];
  const hugeBodiesSent: number[] = [];
  const answered: Array<[number, number]> = [];
  let active = 0;
  let peak = 0;

  const stateFor = (provider: EmulatedProvider, key: string | null) =>
    (key === null ? undefined : behaviors.get(`k:${key}`)) ?? behaviors.get(`p:${provider}`);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const method = request.method ?? 'GET';
    const found = route(method, url.pathname);
    const headers = lowerHeaders(request);
    requests.push({ provider: found?.provider ?? 'unknown', method, path: request.url ?? '/', headers, body, at: Date.now() });
    if (found === null) return sendJson(response, { status: 404, body: { error: { message: 'Not found', type: 'invalid_request_error' } } });

    const { provider } = found;
    const protocol: Protocol = PROTOCOL_OF[provider];
    const key = presentedKey(protocol, headers, url);
    const state = stateFor(provider, key);
    const behavior: Behavior = state?.behavior ?? {};
    if (state) state.served += 1;
    const failing = state !== undefined && state.remaining > 0 && state.served > (state.behavior.after ?? 0);
    const echo = behavior.echoKeyInError === true;

    if (behavior.latencyMs) await new Promise((resolve) => setTimeout(resolve, behavior.latencyMs));
    if (response.destroyed) return;

    if (failing && state) {
      const applies = behavior.drop || behavior.hang || behavior.serverError || behavior.rateLimit || behavior.malformedJson || behavior.wrongShape || behavior.truncatedBody || behavior.hugeBodyBytes || behavior.exhaustBudget || ((behavior.blockPrompt !== undefined || behavior.filterAnswer === true) && protocol !== 'ollama') || (behavior.recite === true && protocol === 'gemini');
      if (applies) state.remaining -= 1;
      if (behavior.drop) return void request.socket.destroy();
      if (behavior.hang) return;
    }

    const registered = keys.get(provider) ?? new Set<string>();
    const keyRequired = !KEY_OPTIONAL.has(provider) || registered.size > 0;
    if (keyRequired && (key === null || !registered.has(key))) return sendJson(response, authErrorReply(provider, key, echo));
    if (protocol === 'anthropic' && headers['anthropic-version'] === undefined) {
      return sendJson(response, { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } } });
    }
    if (found.needsApiVersion && !url.searchParams.get('api-version')) {
      return sendJson(response, { status: 404, body: { error: { code: '404', message: 'Resource not found' } } });
    }

    if (failing) {
      if (behavior.serverError) return sendJson(response, serverErrorReply(provider, behavior.serverError, key, echo));
      if (behavior.rateLimit) return sendJson(response, rateLimitReply(provider, behavior.rateLimit.retryAfterSeconds, key, echo));
      if (behavior.malformedJson) {
        response.writeHead(200, { 'content-type': 'application/json' });
        return void response.end('{"choices": [ {"message": ');
      }
      if (behavior.wrongShape) return sendJson(response, { status: 200, body: wrongShapeReply(protocol) });
      if (behavior.truncatedBody) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 });
        response.write('{"id":"emu","choices":[');
        return void setTimeout(() => request.socket.destroy(), 5);
      }
      if (behavior.hugeBodyBytes) return streamHugeBody(response, behavior.hugeBodyBytes, (bytes) => hugeBodiesSent.push(bytes));
    }

    const models = listedModelIds(protocol, (PROVIDERS.find((entry) => entry.id === provider)?.models ?? []).map((entry) => entry.id));
    if (found.kind === 'models' && behavior.modelsScopeDenied && protocol === 'openai') {
      return sendJson(response, {
        status: 401,
        body: {
          error: {
            message: 'You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that you have the correct role in your organization and project, and if you are using a restricted API key, that it has the necessary scopes.',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      });
    }
    if (found.kind === 'models') return sendJson(response, provider === 'aleph-alpha' ? modelSettingsReply(models) : modelListReply(protocol, models, url.searchParams));

    let parsed: unknown;
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return sendJson(response, { status: 400, body: { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error' } } });
    }
    const input = readChatInput(protocol, parsed, found.pathModel);
    if (input === null) return sendJson(response, { status: 400, body: { error: { message: 'Invalid request body', type: 'invalid_request_error' } } });
    let broken = false;
    if (state && state.brokenEntitiesLeft > 0 && isEntitiesPrompt(input.user)) {
      state.brokenEntitiesLeft -= 1;
      broken = true;
    }
    const refusal = failing && behavior.blockPrompt !== undefined ? blockedPromptReply(protocol, input, behavior.blockPrompt) : null;
    if (refusal !== null) {
      reportedUsage.push({ provider, ...refusal.usage });
      return sendJson(response, refusal);
    }
    const reply =
      (failing && behavior.exhaustBudget ? exhaustedBudgetReply(protocol, input, requestedOutputTokens(protocol, parsed)) : null) ??
      (failing && behavior.filterAnswer ? filteredAnswerReply(protocol, input) : null) ??
      (failing && behavior.recite ? recitationReply(protocol, input) : null) ??
      completionReply(protocol, input, broken);
    reportedUsage.push({ provider, ...reply.usage });
    return sendJson(response, { status: 200, body: reply.body });
  }

  const server = createServer((request, response) => {
    const arrived = performance.now();
    active += 1;
    peak = Math.max(peak, active);
    response.on('close', () => {
      active -= 1;
      answered.push([arrived, performance.now()]);
    });
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, { status: 500, body: { error: { message: 'emulator failure' } } });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const urls = {} as Record<EmulatedProvider, string>;
  for (const provider of EMULATED_PROVIDERS) urls[provider] = baseUrl;
  for (const [provider, prefix] of PREFIXES) urls[provider] = `${baseUrl}${prefix}`;

  return {
    baseUrl,
    urls,
    requests,
    reportedUsage,
    addKey(provider, key) {
      keys.get(provider)?.add(key);
    },
    setBehavior(target, behavior) {
      const id = target.key !== undefined ? `k:${target.key}` : target.provider !== undefined ? `p:${target.provider}` : null;
      if (id === null) throw new Error('setBehavior needs a provider or a key');
      if (behavior === null) behaviors.delete(id);
      else behaviors.set(id, { behavior, remaining: behavior.times ?? Number.POSITIVE_INFINITY, brokenEntitiesLeft: behavior.invalidEntitiesFirst ?? 0, served: 0 });
    },
    hugeBodiesSent,
    answered,
    inFlight: () => active,
    peakInFlight: () => peak,
    reset() {
      peak = active;
      behaviors.clear();
      requests.length = 0;
      reportedUsage.length = 0;
      hugeBodiesSent.length = 0;
      answered.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
