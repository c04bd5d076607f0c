// Test support: an in-memory companion behind an injected `fetch`, speaking the parts of API.md
// the extension's core uses. It checks what the real server checks at the crypto boundary
// (sealed-blob shape, grants opened with the shared openGrant, seals opened with the data key
// from the grant), so unit tests fail when the extension sends something the server would refuse.
import { EnrichRequest, getProvider, hasPayloadTooLargeIssue, isSealedBlob, openGrant, openSealed, secretAad, type GrantKeySet, type SealedBlob } from '@byok/shared';
import type { SecretView } from '../core/companion-types';

interface StoredSecret {
  view: SecretView;
  /** Absent for a keyless entry (a provider that runs without a key). */
  sealed?: SealedBlob | undefined;
}

export interface FakeCompanion {
  fetch: typeof fetch;
  online: boolean;
  /** Every plaintext API key the companion decrypted (to assert what reached it). */
  opened: string[];
  secrets: Map<string, StoredSecret>;
  requests: { method: string; path: string; body: unknown; requestId: string | null; ifMatch: string | null }[];
  /** Override the KDF that prelogin answers (to test downgrade refusal). */
  preloginKdf: unknown;
  /** Make the next PUT /v1/secrets answer this error. */
  refuseNextPut: { status: number; code: string; message: string } | null;
  userId: string;
  /** How `/v1/enrich` answers: plain JSON, an event stream with progress, or never (until aborted). */
  enrichMode: 'json' | 'sse' | 'hang';
  /** A secret the "provider" refuses: enrich marks it invalid and answers 424 key_rejected. */
  rejectSecretId: string | null;
  /** Runs before each passphrase change is checked (to change the key set "from another device"). */
  beforePassphraseChange: (() => void) | null;
  /** Make every POST /v1/auth/refresh answer this status (a busy or failing companion). */
  refreshFailure: number | null;
  /** Replaces the grant key at once (an early rotation): grants for the old kid are refused. */
  rotateGrantKey(): Promise<void>;
  /** What GET /v1/admin/org-secrets lists (null: the companion has no such route, 404). */
  adminOrgSecrets: unknown[] | null;
  /** Another device changes the key `id` (a rename there): it takes the next version. */
  changeElsewhere(id: string): void;
  /** Runs (and is awaited) before each PUT /v1/secrets/:id is handled: to stall one, or change things first. */
  beforeSecretPut: ((id: string) => Promise<void> | void) | null;
}

const AUDIENCE = 'byok-companion:test';

export async function createFakeCompanion(): Promise<FakeCompanion> {
  let grantKeys = 0;
  const newGrantKey = async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
    const publicJwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as { x: string };
    const kid = `k${++grantKeys}`;
    const keySet: GrantKeySet = { audience: AUDIENCE, keys: [{ kty: 'OKP', crv: 'X25519', x: publicJwk.x, kid, use: 'enc', alg: 'ECDH-ES+A256KW' }] };
    return { kid, privateKey: pair.privateKey, keySet };
  };
  let grantKey = await newGrantKey();
  /** As the server: a grant that does not open (an unknown kid included) is 400 grant_invalid. */
  const openOrNull = (grant: string, purpose: 'enrich' | 'verify') =>
    openGrant(grant, { resolveKey: (kid) => (kid === grantKey.kid ? grantKey.privateKey : undefined), audience: AUDIENCE, userId: state.userId, purpose }).catch(() => null);
  const accounts = new Map<string, { authProof: string; kdf: unknown; id: string }>();
  /** As the server: every write of one user's personal keys takes the next version of that user's counter. */
  let lastVersion = 0;
  let refreshCounter = 0;
  /** Refresh tokens issued and not yet used: single use, as on the server. */
  const liveRefreshTokens = new Set<string>();

  const state: FakeCompanion = {
    online: true,
    opened: [],
    secrets: new Map(),
    requests: [],
    preloginKdf: null,
    refuseNextPut: null,
    userId: crypto.randomUUID(),
    enrichMode: 'json',
    rejectSecretId: null,
    beforePassphraseChange: null,
    refreshFailure: null,
    adminOrgSecrets: null,
    beforeSecretPut: null,
    async rotateGrantKey() {
      grantKey = await newGrantKey();
    },
    changeElsewhere(id) {
      const entry = state.secrets.get(id);
      if (!entry) throw new Error(`no key ${id}`);
      entry.view = { ...entry.view, label: `${entry.view.label} (renamed elsewhere)`, version: ++lastVersion };
    },
    fetch: async (input, init) => {
      if (!state.online) throw new TypeError('fetch failed');
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const method = init?.method ?? 'GET';
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : null;
      const headers = new Headers(init?.headers);
      state.requests.push({ method, path: url.pathname, body, requestId: headers.get('x-request-id'), ifMatch: headers.get('if-match') });
      const json = (status: number, value: unknown) =>
        new Response(status === 204 ? null : JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
      const error = (status: number, code: string, message: string) => json(status, { error: { code, message } });
      const authed = () => headers.get('authorization')?.startsWith('Bearer at-') === true;
      const tokens = () => {
        const refreshToken = `rt-${++refreshCounter}`;
        liveRefreshTokens.add(refreshToken);
        return { accessToken: `at-${refreshCounter}`, refreshToken };
      };
      const login = (email: string) => ({
        user: { id: state.userId, email, role: 'owner' },
        org: { id: '00000000-0000-4000-8000-000000000001', name: 'Test', plan: 'pro' },
        ...tokens(),
      });
      const path = url.pathname;

      if (path === '/v1/auth/prelogin') {
        const account = accounts.get(String(body?.email));
        return json(200, { kdf: state.preloginKdf ?? account?.kdf ?? { name: 'PBKDF2-SHA256', iterations: 600000, salt: 'AAAAAAAAAAAAAAAAAAAAAA' } });
      }
      if (path === '/v1/auth/register') {
        accounts.set(String(body?.email), { authProof: String(body?.authProof), kdf: body?.kdf, id: state.userId });
        return json(201, login(String(body?.email)));
      }
      if (path === '/v1/auth/login') {
        const account = accounts.get(String(body?.email));
        if (!account || account.authProof !== body?.authProof) return error(401, 'invalid_credentials', 'Wrong email or passphrase.');
        return json(200, login(String(body?.email)));
      }
      if (path === '/v1/auth/refresh') {
        if (state.refreshFailure !== null) return error(state.refreshFailure, state.refreshFailure === 429 ? 'rate_limited' : 'internal', 'Not now.');
        if (!liveRefreshTokens.delete(String(body?.refreshToken))) return error(401, 'unauthenticated', 'Sign in.');
        return json(200, tokens());
      }
      if (path === '/v1/auth/logout') return json(204, null);
      if (path === '/v1/grant-keys') return json(200, grantKey.keySet);
      if (!authed()) return error(401, 'unauthenticated', 'Sign in.');

      if (path === '/v1/auth/passphrase' && method === 'PUT') {
        // As the server: the current proof must match; `rewrapped` must be exactly the caller's
        // personal keys (else 409, nothing changed); then everything at once.
        state.beforePassphraseChange?.();
        const account = [...accounts.entries()].find(([, entry]) => entry.id === state.userId);
        if (!account || account[1].authProof !== body?.authProof) return error(401, 'invalid_credentials', 'Wrong email or passphrase.');
        const rewrapped = (body?.rewrapped as { id: string; wrappedDek: string; version?: number }[]) ?? [];
        // Exactly the personal keys that have a wrapped data key (keyless entries have none).
        const owned = [...state.secrets.entries()].filter(([, entry]) => entry.sealed).map(([id]) => id).sort();
        const given = rewrapped.map((entry) => entry.id).sort();
        if (JSON.stringify(owned) !== JSON.stringify(given)) return error(409, 'conflict', 'rewrapped must list exactly your personal keys.');
        // Each at the version it has now, where the entry names one.
        if (rewrapped.some((entry) => entry.version !== undefined && entry.version !== state.secrets.get(entry.id)?.view.version)) {
          return error(409, 'conflict', 'A key changed meanwhile (version mismatch): list your keys again and re-wrap them.');
        }
        for (const entry of rewrapped) {
          const stored = state.secrets.get(entry.id)!;
          if (stored.sealed) stored.sealed = { ...stored.sealed, wrappedDek: entry.wrappedDek };
          stored.view.wrappedDek = entry.wrappedDek;
        }
        accounts.set(account[0], { ...account[1], authProof: String(body?.newAuthProof), kdf: body?.kdf });
        return json(204, null);
      }
      if (path === '/v1/admin/org-secrets' && method === 'GET' && state.adminOrgSecrets !== null) return json(200, { secrets: state.adminOrgSecrets });
      if (path === '/v1/secrets' && method === 'GET') {
        return json(200, { secrets: [...state.secrets.values()].map((entry) => entry.view).sort((a, b) => a.position - b.position) });
      }
      if (path === '/v1/secrets/order' && method === 'PUT') {
        (body?.ids as string[]).forEach((id, position) => {
          const entry = state.secrets.get(id);
          if (entry) entry.view.position = position;
        });
        return json(200, {});
      }
      const verify = /^\/v1\/secrets\/([0-9a-f-]+)\/verify$/.exec(path);
      if (verify?.[1]) {
        const entry = state.secrets.get(verify[1]);
        if (!entry) return error(404, 'not_found', 'No such key.');
        if (!entry.sealed) {
          // A keyless entry is verified without a grant, as the server does.
          if (body?.grant !== undefined) return error(400, 'bad_request', 'grant: a keyless entry takes none');
          entry.view.status = 'valid';
          return json(200, { status: 'valid', detail: 'ok' });
        }
        const opened = await openOrNull(String(body?.grant), 'verify');
        if (!opened?.dek || opened.sid !== entry.view.id) return error(400, 'grant_invalid', 'Bad grant.');
        const aad = secretAad({ userId: state.userId, secretId: entry.view.id, provider: entry.view.provider, baseUrl: entry.view.baseUrl ?? '' });
        state.opened.push(await openSealed({ dek: opened.dek, sealed: entry.sealed, aad }));
        entry.view.status = 'valid';
        return json(200, { status: 'valid', detail: 'ok' });
      }
      const one = /^\/v1\/secrets\/([0-9a-f-]+)$/.exec(path);
      if (one?.[1] && method === 'PUT') {
        await state.beforeSecretPut?.(one[1]);
        if (state.refuseNextPut) {
          const refusal = state.refuseNextPut;
          state.refuseNextPut = null;
          return error(refusal.status, refusal.code, refusal.message);
        }
        const keyless = body?.sealed === undefined && body?.hint === undefined;
        if (keyless ? getProvider(String(body?.provider))?.keyRequired !== false : !isSealedBlob(body?.sealed)) return error(400, 'bad_request', 'sealed');
        const sealed = keyless ? undefined : (body?.sealed as SealedBlob);
        const previous = state.secrets.get(one[1]);
        // As the server: If-Match names the version the write replaces ("N"); stale or gone is 409.
        const ifMatch = headers.get('if-match');
        if (ifMatch !== null) {
          const expected = /^"(\d+)"$/.exec(ifMatch)?.[1];
          if (expected === undefined) return error(400, 'bad_request', 'If-Match must be a version ETag such as "3".');
          if (!previous) return error(409, 'conflict', 'The key no longer exists.');
          if (Number(expected) !== previous.view.version) return error(409, 'conflict', 'The key changed meanwhile (version mismatch).');
        }
        const now = new Date().toISOString();
        const view: SecretView = {
          id: one[1],
          scope: 'user',
          provider: String(body?.provider),
          label: String(body?.label),
          hint: keyless ? { prefix: '', last4: '' } : (body?.hint as SecretView['hint']),
          defaultModel: (body?.defaultModel as string | undefined) ?? null,
          baseUrl: (body?.baseUrl as string | undefined) ?? '',
          status: 'unverified',
          createdAt: previous?.view.createdAt ?? now,
          rotatedAt: previous ? now : null,
          lastUsedAt: null,
          lastVerifiedAt: null,
          position: previous?.view.position ?? state.secrets.size,
          wrappedDek: sealed?.wrappedDek ?? null,
          keyless,
          version: ++lastVersion,
        };
        state.secrets.set(one[1], { view, sealed });
        return json(previous ? 200 : 201, { secret: view });
      }
      if (one?.[1] && method === 'DELETE') {
        state.secrets.delete(one[1]);
        return json(204, null);
      }
      if (path === '/v1/enrich') {
        // The real companion's schema: a body it would refuse is refused here too, with its status and
        // the fields named.
        const parsed = EnrichRequest.safeParse(body);
        if (!parsed.success) {
          if (hasPayloadTooLargeIssue(parsed.error)) return error(413, 'payload_too_large', 'input.text is over 2 MiB of UTF-8.');
          return error(400, 'bad_request', parsed.error.issues.map((issue) => `body.${issue.path.join('.')}: ${issue.message}`).join('; '));
        }
        const grants = (body?.grants as string[]) ?? [];
        for (const grant of grants) {
          const opened = await openOrNull(grant, 'enrich');
          const entry = opened ? state.secrets.get(opened.sid) : undefined;
          if (!opened?.dek || !entry?.sealed) return error(400, 'grant_invalid', 'Bad grant.');
          const aad = secretAad({ userId: state.userId, secretId: entry.view.id, provider: entry.view.provider, baseUrl: entry.view.baseUrl ?? '' });
          state.opened.push(await openSealed({ dek: opened.dek, sealed: entry.sealed, aad }));
        }
        if (state.rejectSecretId) {
          const rejected = state.secrets.get(state.rejectSecretId);
          if (rejected) rejected.view.status = 'invalid';
          return error(424, 'key_rejected', 'The provider refused the key.');
        }
        if (state.enrichMode === 'hang') {
          return new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
          });
        }
        const result = {
          requestId: headers.get('x-request-id') ?? 'r',
          summary: 'A short summary.',
          entities: [{ type: 'person', text: 'Ada', count: 2 }],
          route: { provider: 'openai', model: 'gpt-4o-mini', source: 'byok', attempts: [{ provider: 'openai', source: 'byok', outcome: 'ok', ms: 3 }] },
          usage: { inputTokens: 10, outputTokens: 5, costMicros: 12, calls: 1 },
        };
        if (state.enrichMode === 'sse') {
          const frames =
            'event: progress\r\ndata: {"done":1,"total":2,"stage":"summarize"}\r\n\r\n' +
            'event: progress\ndata: {"done":2,"total":2,"stage":"merge"}\n\n' +
            `event: result\ndata: ${JSON.stringify(result)}\n\n`;
          const bytes = new TextEncoder().encode(frames);
          // Split mid-frame so the reader's buffering is exercised.
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes.slice(0, 37));
              controller.enqueue(bytes.slice(37));
              controller.close();
            },
          });
          return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
        }
        return json(200, result);
      }
      return error(404, 'not_found', 'No such route.');
    },
  };
  return state;
}
