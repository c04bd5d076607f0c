// Property-based fuzzing of every route of API_ROUTES over real HTTP against the real companion:
// random, truncated, oversized, deeply nested, wrong-typed and unicode-heavy bodies, query strings
// and path ids, with and without a token. Every answer is a success of the route or a stable
// API.md error (never a 5xx), nothing hangs, a refused request changes nothing stored, the server
// still answers afterwards, and the leak canary finds nothing in anything that came back.
import { API_ROUTES, type ApiRoute } from '@byok/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../../server/src/testing/client';
import { SAMPLE_BODIES, SAMPLE_QUERIES } from './samples';
import { snapshot, startWorld, unstableAnswer, type World, storedKeyOf } from './world';

const RUNS = Number(process.env.BYOK_FUZZ_RUNS ?? 45);
const REQUEST_TIMEOUT_MS = 15_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Body = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array<ArrayBuffer> };
interface FuzzRequest {
  path: string;
  query: string;
  body: Body;
  contentType: string;
  auth: 'main' | 'none' | 'garbage' | 'member';
  accept: string;
  /** A client x-request-id (the idempotency key of POST /v1/enrich), or none. */
  requestId: string | undefined;
}

let world: World;
let logoutUser: TestUser;

beforeAll(async () => {
  world = await startWorld();
  // POST /v1/auth/logout succeeds with any live token: give it a session of its own.
  logoutUser = { ...world.a.admin.user };
  await world.client.login(logoutUser);
}, 120_000);

afterAll(async () => {
  await world.assertNoLeaks();
  await world.close();
});

// ---- generators -------------------------------------------------------------------------------

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\u202e', '💥'.repeat(300), '../../etc/passwd', "'; DROP TABLE secrets;--", '__proto__', 'constructor', '%00', '0x10', '1e999', 'NaN', 'true'),
  fc.integer({ min: 1_000, max: 80_000 }).map((n) => 'é'.repeat(n)),
);

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom<Json>(null, -1, 0, 1e308, -1e-308, 2 ** 53 + 1, true, [], {}, [null], { v: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 2_000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as Json) },
);

type PathPart = string | number;
function pathsOf(value: Json, prefix: PathPart[] = []): PathPart[][] {
  const out: PathPart[][] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...pathsOf(item, [...prefix, index])));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]));
  return out;
}

/** Applies one mutation at `path`: replace the value, delete it, add an unknown sibling, or wrap it. */
function mutate(root: Json, path: PathPart[], op: 'replace' | 'delete' | 'add' | 'wrap', value: Json): Json {
  if (path.length === 0) return op === 'wrap' ? [root] : op === 'add' ? { root, extra: value } : value;
  const copy = structuredClone(root);
  let parent: Json = copy;
  for (const part of path.slice(0, -1)) parent = (parent as Record<PathPart, Json>)[part] as Json;
  const last = path[path.length - 1] as PathPart;
  const container = parent as Record<PathPart, Json>;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete container[last];
  } else if (op === 'add' && !Array.isArray(parent)) container[`x${String(last)}Extra`] = value;
  else if (op === 'wrap') container[last] = [container[last] as Json];
  else container[last] = value;
  return copy;
}

function mutatedBody(sample: Json): fc.Arbitrary<Body> {
  const paths = pathsOf(sample);
  return fc
    .tuple(fc.nat(), fc.constantFrom<'replace' | 'delete' | 'add' | 'wrap'>('replace', 'replace', 'delete', 'add', 'wrap'), hostileValue, fc.option(fc.nat(), { nil: undefined }))
    .map(([seed, op, value, cut]) => {
      const text = JSON.stringify(mutate(sample, paths[seed % paths.length] ?? [], op, value));
      // Sometimes truncated mid-document.
      return { kind: 'text', text: cut === undefined ? text : text.slice(0, cut % Math.max(1, text.length)) };
    });
}

function bodyArbitrary(route: ApiRoute): fc.Arbitrary<Body> {
  const sample = SAMPLE_BODIES[route.operationId] as Json | undefined;
  const large = route.operationId === 'enrich';
  const generic: fc.Arbitrary<Body>[] = [
    fc.constant<Body>({ kind: 'none' }),
    fc.jsonValue({ maxDepth: 4 }).map((value): Body => ({ kind: 'text', text: JSON.stringify(value) })),
    fc.uint8Array({ maxLength: 200 }).map((bytes): Body => ({ kind: 'bytes', bytes })),
    fc.integer({ min: 1_000, max: large ? 300_000 : 40_000 }).map((depth): Body => ({ kind: 'text', text: '['.repeat(depth) + ']'.repeat(depth) })),
    fc.integer({ min: 1_000, max: large ? 200_000 : 20_000 }).map((depth): Body => ({ kind: 'text', text: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) })),
    fc.constantFrom(66 * 1024, 200 * 1024, ...(large ? [9 * 1024 * 1024] : [])).map((size): Body => ({ kind: 'text', text: JSON.stringify({ pad: 'x'.repeat(size) }) })),
    fc.constantFrom<Body>({ kind: 'text', text: '' }, { kind: 'text', text: 'null' }, { kind: 'text', text: '"str"' }, { kind: 'text', text: '{' }, { kind: 'text', text: '{"a":1,}' }, { kind: 'bytes', bytes: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) }),
  ];
  if (sample === undefined) return fc.oneof(...generic);
  return fc.oneof({ weight: 6, arbitrary: mutatedBody(sample) }, ...generic.map((arbitrary) => ({ weight: 1, arbitrary })));
}

function queryArbitrary(route: ApiRoute): fc.Arbitrary<string> {
  const sample = SAMPLE_QUERIES[route.operationId] ?? {};
  const keys = [...Object.keys(sample), 'extra', '__proto__', 'limit[]'];
  const value = fc.oneof(hostileString, fc.constantFrom('-1', '0', '1e400', '9007199254740993', '2026-13-45', '2026-02-30T25:61:00Z', 'member', 'day'));
  return fc
    .tuple(fc.array(fc.tuple(fc.constantFrom(...keys), value), { maxLength: 5 }), fc.boolean())
    .map(([pairs, keepSample]) => {
      const params = new URLSearchParams(keepSample ? sample : {});
      for (const [key, item] of pairs) params.append(key, item);
      const text = params.toString();
      return text === '' ? '' : `?${text}`;
    });
}

/** Percent-encodes every UTF-8 byte (lone surrogates become U+FFFD, as a browser would send). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function requestArbitrary(route: ApiRoute): fc.Arbitrary<FuzzRequest> {
  const idArb = fc.oneof(
    fc.uuid().map((id) => id.toLowerCase()),
    fc.uuid().map((id) => id.toUpperCase()),
    hostileString.filter((text) => text.length > 0 && text.length < 6_000).map(percentEncode),
    // Invalid UTF-8 in the path: a lone byte, an overlong slash, an encoded surrogate.
    fc.constantFrom('order', '..%2F..%2Fhealthz', '%2e%2e', '%ff%fe', '%c0%af', '%ed%a0%80', '%', '%zz', 'x'.repeat(5_000)),
  );
  return fc.record({
    path: route.path.includes(':id') ? idArb.map((id) => route.path.replace(':id', id)) : fc.constant(route.path),
    query: route.query ? queryArbitrary(route) : fc.oneof(fc.constant(''), queryArbitrary(route)),
    body: route.method === 'get' ? fc.constant<Body>({ kind: 'none' }) : bodyArbitrary(route),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'application/merge-patch+json', '') },
    ),
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/csv', 'text/event-stream;q=0, application/json'),
    requestId: fc.option(
      fc.oneof(
        fc.string({ unit: fc.constantFrom(...'abcXYZ019._:-/ %"\\'), maxLength: 40 }),
        fc.constantFrom('a'.repeat(129), 'a'.repeat(4_000), 'fixed-id-1', 'fixed-id-1', '..', '<script>'),
      ),
      { nil: undefined },
    ),
    auth: route.auth === 'none' ? fc.constant<FuzzRequest['auth']>('none') : fc.constantFrom<FuzzRequest['auth']>('main', 'main', 'main', 'main', 'none', 'garbage', 'member'),
  });
}

// ---- the property -----------------------------------------------------------------------------

function tokenFor(route: ApiRoute, auth: FuzzRequest['auth']): string | undefined {
  if (auth === 'none') return undefined;
  if (auth === 'garbage') return 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln';
  // Logout succeeds with any live token: it only ever gets a session of its own.
  if (route.operationId === 'logout') return logoutUser.accessToken;
  return auth === 'member' ? world.a.member.user.accessToken : world.a.admin.user.accessToken;
}

async function send(route: ApiRoute, input: FuzzRequest): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = { accept: input.accept };
  if (input.requestId !== undefined) headers['x-request-id'] = input.requestId;
  const token = tokenFor(route, input.auth);
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (input.body.kind !== 'none') {
    body = input.body.kind === 'text' ? input.body.text : input.body.bytes;
    if (input.contentType !== '') headers['content-type'] = input.contentType;
  }
  const response = await fetch(`${world.harness.server.baseUrl}${input.path}${input.query}`, {
    method: route.method.toUpperCase(),
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  world.record(`${route.method} ${route.path}`, { text, headers: response.headers });
  return { status: response.status, text, headers: response.headers };
}

describe('fuzzing every route of API_ROUTES over HTTP', () => {
  for (const route of API_ROUTES) {
    it(`${route.method.toUpperCase()} ${route.path}`, async () => {
      const successes = route.success.map((success) => success.status);
      await fc.assert(
        fc.asyncProperty(requestArbitrary(route), async (input) => {
          const before = route.method === 'get' ? undefined : snapshot(world.harness);
          const response = await send(route, input);
          const problem = unstableAnswer(response, successes);
          if (problem !== null) throw new Error(problem);
          if (before !== undefined && response.status >= 400) expect(snapshot(world.harness)).toEqual(before);
        }),
        { numRuns: route.auth === 'none' && route.method === 'get' ? 10 : RUNS },
      );
    });
  }

  it('still answers, and every stored key and the audit chain are intact', async () => {
    const health = await fetch(`${world.harness.server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    for (const org of [world.a, world.b]) {
      expect(world.harness.server.services.audit.verifyChain(org.orgId)).toMatchObject({ ok: true });
      for (const tenant of [org.admin, org.member]) {
        expect(await storedKeyOf(world, tenant)).toBe(tenant.apiKey);
      }
    }
  });
});
