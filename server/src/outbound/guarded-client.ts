// The one HTTP client every provider call goes through. It enforces the outbound rules at connect
// time, after DNS resolution, on the addresses actually dialled (so DNS rebinding between a check
// and the connection cannot slip through), refuses redirects and non-http schemes, bounds time and
// response size, and fails with an OutboundError that never carries a URL, header or body.
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { isUnderAllowedBase } from './allow-list';
import { classifyAddress } from '@byok/shared/net/ip-ranges';
import { errorCodeOf } from '../services/error-code';
import { OutboundError } from './outbound-error';
import { OriginLimit, type OriginLimitTotals, type Release } from './origin-limit';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Name resolution used at connect time; injectable so tests need no real DNS. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface OutboundClientOptions {
  readonly resolve?: ResolveHost;
  /** Default 10 s (never more than the total timeout of a call), for all of a name's addresses together. */
  readonly connectTimeoutMs?: number;
  /** How long one of several addresses is tried before the next one, default 500 ms (see guardedConnector). */
  readonly connectAttemptTimeoutMs?: number;
  /** Default total timeout of a call (BYOK_PROVIDER_TIMEOUT_MS), default 60 s. */
  readonly timeoutMs?: number;
  /** Default response body limit, 8 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Calls (so connections) one origin has under way at once (BYOK_PROVIDER_MAX_CONNECTIONS), default
   * 256; calls beyond it wait for a place within their own timeout (see origin-limit.ts).
   */
  readonly maxConnectionsPerOrigin?: number;
  /** Calls that may wait for a place at one origin; past it a call fails at once (`busy`). Default 4 x the above. */
  readonly maxWaitingPerOrigin?: number;
  /**
   * Certificates to trust instead of the system's (PEM). For tests only (a loopback server with a
   * test certificate): the companion never sets it, and no setting reaches it.
   */
  readonly testOnlyTrustedCertificates?: string;
}

export interface OutboundRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Base URLs whose hosts may be private or loopback (policy allowedBaseUrls, operator base URLs). */
  readonly allowedBaseUrls?: readonly string[];
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
}

export interface OutboundResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface OutboundClient {
  request(request: OutboundRequest): Promise<OutboundResponse>;
  /** Resolves and classifies a URL's host without connecting (save-time checks); throws OutboundError. */
  checkTarget(url: string, allowedBaseUrls?: readonly string[]): Promise<void>;
  /** The per-origin bound's calls under way and waiting, all origins together (for /metrics). */
  totals(): OriginLimitTotals;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MS = 500;
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS_PER_ORIGIN = 256;

const systemResolve: ResolveHost = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/**
 * Lookups shared per name: a call that needs a name already being resolved waits for that lookup
 * instead of starting its own, unless it has run for `freshForMs` (the connect timeout) already,
 * when a new one starts beside it. A connect gives up on a slow lookup after its timeout
 * (guardedConnector) but cannot cancel it; without this, every call to a name whose resolver hangs
 * would leave one more lookup running (`dns.lookup` holds a thread of libuv's small pool, which
 * password hashing and file I/O need too). With it, a name has at most one lookup started per
 * connect timeout, and a resolver that never answers blocks no call for longer than that. Nothing
 * is kept once a lookup settles: each connect resolves afresh, so a changed answer is seen (and
 * checked) at once.
 */
function sharedLookups(resolve: ResolveHost, freshForMs: number): ResolveHost {
  const running = new Map<string, { readonly lookup: Promise<readonly ResolvedAddress[]>; readonly startedAt: number }>();
  return (hostname) => {
    const found = running.get(hostname);
    if (found !== undefined && performance.now() - found.startedAt < freshForMs) return found.lookup;
    const entry = {
      lookup: resolve(hostname).finally(() => {
        if (running.get(hostname) === entry) running.delete(hostname);
      }),
      startedAt: performance.now(),
    };
    running.set(hostname, entry);
    return entry.lookup;
  };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Resolves a host and judges every address; returns them all, in the resolver's order, for the
 * connector to dial. One disallowed address refuses the whole name; it is not dropped and the rest
 * dialled. A name that answers with such an address points (partly) where the outbound rules
 * forbid: a misconfiguration, or a rebinding service mixing a public address with an internal one
 * to get past guards that check only one. Refusing fails closed and shows the problem, and the
 * save-time check (checkTarget) then refuses to store such a base URL instead of accepting it.
 */
async function resolveChecked(resolve: ResolveHost, rawHost: string, allowPrivate: boolean): Promise<readonly ResolvedAddress[]> {
  const hostname = stripBrackets(rawHost);
  const family = isIP(hostname);
  let addresses: readonly ResolvedAddress[];
  if (family === 4 || family === 6) {
    addresses = [{ address: hostname, family }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch {
      throw new OutboundError('connect_failed');
    }
  }
  if (addresses.length === 0) throw new OutboundError('connect_failed');
  const checked: ResolvedAddress[] = [];
  for (const entry of addresses) {
    const verdict = classifyAddress(entry.address);
    if (verdict === 'forbidden' || (verdict === 'private' && !allowPrivate)) throw new OutboundError('blocked_address');
    // net dials by the family it is given; take it from the text, not from the resolver's word.
    const family = isIP(entry.address);
    if (family !== 4 && family !== 6) throw new OutboundError('blocked_address');
    checked.push({ address: entry.address, family });
  }
  return checked;
}

/** A net `lookup` that answers with addresses already checked, so nothing is resolved a second time. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    // Asynchronous like dns.lookup: net calls this inside connect(), before undici has its listeners.
    process.nextTick(() => {
      const first = addresses[0];
      if (options.all === true) callback(null, addresses.map((entry) => ({ ...entry })));
      else if (first !== undefined) callback(null, first.address, first.family);
      else callback(new OutboundError('connect_failed'), '', 0);
    });
  };
}

/**
 * TLS sessions by server name, the newest 100 of at most 16 KiB each, for connections made by a
 * connector built per connection. Keyed by the name and nothing else, on purpose: Node does not
 * check the certificate again on a resumed session (neither the name nor the trust), so a session
 * must only ever be offered to the name it was verified for, and never by a client that trusts
 * other certificates (each pool, and each outbound client, has its own cache). A handshake that
 * fails verification gives no session to keep.
 */
class TlsSessions {
  private readonly sessions = new Map<string, Buffer>();

  get(name: string): Buffer | undefined {
    return this.sessions.get(name);
  }

  set(name: string, session: Buffer): void {
    this.sessions.delete(name);
    // The server decides a ticket's size; one far beyond the usual few hundred bytes is not kept.
    if (session.length > 16 * 1024) return;
    if (this.sessions.size >= 100) {
      const oldest = this.sessions.keys().next();
      if (oldest.done !== true) this.sessions.delete(oldest.value);
    }
    this.sessions.set(name, session);
  }
}

interface ConnectorSettings {
  readonly allowPrivate: boolean;
  readonly connectTimeoutMs: number;
  readonly attemptTimeoutMs: number;
  readonly trustedCertificates: string | undefined;
}

/**
 * The connector of one pool: resolves and checks every address, then dials only those. One address
 * (an IP literal, or a name with a single answer) is dialled directly. Several go to net's
 * autoSelectFamily (RFC 8305 section 5) through a lookup pinned to the checked list: it alternates
 * families starting with the resolver's first, gives each address but the last `attemptTimeoutMs`
 * before moving on, and undici's connect timer bounds the whole sequence (TLS handshake included)
 * to `connectTimeoutMs`, as it bounded the one attempt before. So a host whose IPv6 address cannot
 * be reached still connects over IPv4.
 */
function guardedConnector(resolve: ResolveHost, settings: ConnectorSettings): buildConnector.connector {
  const { allowPrivate, connectTimeoutMs, attemptTimeoutMs } = settings;
  const trust = settings.trustedCertificates === undefined ? {} : { ca: settings.trustedCertificates };
  const dialAddress = buildConnector({ timeout: connectTimeoutMs, ...trust });
  // undici's connector keeps TLS sessions per connector; one built per connection keeps none, so
  // this pool keeps them for those, and a new connection to a provider resumes its session.
  const sessions = new TlsSessions();
  return (options, callback) => {
    const dial = (addresses: readonly ResolvedAddress[]): void => {
      const hostname = stripBrackets(options.hostname);
      // TLS verifies the certificate against the name, whatever address is dialled.
      const servername = options.servername ?? (isIP(hostname) === 0 ? hostname : undefined);
      const sni = servername === undefined ? {} : { servername };
      const only = addresses.length === 1 ? addresses[0] : undefined;
      if (only !== undefined) {
        dialAddress({ ...options, hostname: only.address, ...sni }, callback);
        return;
      }
      // Built per connection because undici hands a connector no per-call lookup; the pool's
      // sessions are handed to it, and it hands new ones back.
      const sessionName = servername ?? hostname;
      const session = sessions.get(sessionName);
      const dialAny = buildConnector({
        timeout: connectTimeoutMs,
        autoSelectFamily: true,
        autoSelectFamilyAttemptTimeout: attemptTimeoutMs,
        lookup: pinnedLookup(addresses),
        ...trust,
        ...(session === undefined ? {} : { session }),
      });
      // The name (never an IP here) makes net call the pinned lookup instead of dialling it.
      // undici's connector returns the socket (its types say void): TLS sessions may arrive before
      // the handshake completes, so the listener goes on now.
      const socket = (dialAny as unknown as (...args: Parameters<buildConnector.connector>) => unknown)({ ...options, hostname, ...sni }, callback);
      if (socket instanceof TLSSocket) socket.on('session', (next: Buffer) => sessions.set(sessionName, next));
    };
    // undici's connect timeout starts with the dial: a name that takes for ever to resolve would
    // hold its call's place (origin-limit.ts) for ever. Resolving is bounded the same way.
    let resolved = false;
    /** True for the first of the timer and the lookup to finish, which alone answers undici. */
    const first = (): boolean => {
      if (resolved) return false;
      resolved = true;
      clearTimeout(resolveTimer);
      return true;
    };
    const resolveTimer = setTimeout(() => {
      if (first()) callback(new OutboundError('timeout'), null);
    }, connectTimeoutMs);
    resolveChecked(resolve, options.hostname, allowPrivate).then(
      (addresses) => {
        if (!first()) return;
        try {
          dial(addresses);
        } catch {
          // Thrown by net or tls before there is a socket (an option they refuse): without this the
          // request would wait for ever on a rejection nobody handles.
          callback(new OutboundError('connect_failed'), null);
        }
      },
      (error: unknown) => {
        if (!first()) return;
        callback(error instanceof Error ? error : new OutboundError('connect_failed'), null);
      },
    );
  };
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Maps whatever undici or the socket failed with to one OutboundError. */
function toOutboundError(error: unknown): OutboundError {
  if (error instanceof OutboundError) return error;
  // Every address of several failed. net's AggregateError carries the first attempt's code, which
  // is ETIMEDOUT when that attempt only used up its share; running out of the whole connect budget
  // arrives as undici's UND_ERR_CONNECT_TIMEOUT instead, so this one is a failure to connect.
  if (error instanceof AggregateError) return new OutboundError('connect_failed');
  const code = errorCodeOf(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new OutboundError('timeout');
  }
  // The connector's own refusal can arrive wrapped by undici; look one level down.
  if (error instanceof Error && error.cause instanceof OutboundError) return error.cause;
  return new OutboundError('connect_failed');
}

/**
 * One call on undici's dispatcher, read through its handler callbacks: the body is collected as it
 * arrives, with no stream or async iterator in between (in a loopback microbenchmark, ~15 us of
 * CPU less per call than `request()` and its body stream). The call first takes a place at its
 * origin (origin-limit.ts), at once when one is free, else in line. The promise settles once: with
 * the answer, or with the first reason to stop (a redirect, a body over `maxBody`, the timeout, the
 * caller's abort, a failure, a full line). A call that stops while in line leaves it and never
 * reaches undici; one already handed over is aborted: at once, or, when it has no socket yet, as
 * soon as it gets one, which is then closed unused. Its place is given back when undici is done.
 */
function dispatchCall(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  limits: { readonly timeoutMs: number; readonly maxBody: number; readonly signal: AbortSignal | undefined; readonly places: OriginLimit },
): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    /** Takes the call out of the line for a place, while it is in it. */
    let leaveLine = (): void => undefined;
    let settled = false;
    let status = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;

    const settle = (outcome: { readonly error: OutboundError } | { readonly response: OutboundResponse }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onCallerAbort);
      leaveLine();
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.response);
    };
    const stop = (reason: OutboundError): void => {
      settle({ error: reason });
      controller?.abort(reason);
    };
    const timer = setTimeout(() => stop(new OutboundError('timeout')), limits.timeoutMs);
    const onCallerAbort = (): void => stop(new OutboundError('aborted'));
    limits.signal?.addEventListener('abort', onCallerAbort, { once: true });

    const start = (release: Release): void => {
      // Stopped after the place was given and before this ran: nothing went to undici.
      if (settled) {
        release();
        return;
      }
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(started) {
          controller = started;
          // Stopped while it waited for a connection.
          if (settled) started.abort(new OutboundError('aborted'));
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          // An interim answer (102, 103): the final one follows on the same call.
          if (statusCode < 200) return;
          if (statusCode >= 300 && statusCode < 400) {
            stop(new OutboundError('redirect', statusCode));
            return;
          }
          status = statusCode;
          headers = flattenHeaders(responseHeaders);
          const declared = Number(headers['content-length'] ?? '0');
          if (Number.isFinite(declared) && declared > limits.maxBody) stop(new OutboundError('too_large'));
        },
        onResponseData(_controller, chunk) {
          if (settled) return;
          size += chunk.length;
          if (size > limits.maxBody) stop(new OutboundError('too_large'));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          release();
          settle({ response: { status, headers, body: Buffer.concat(chunks).toString('utf8') } });
        },
        onResponseError(_controller, error) {
          // Also how undici says it is done with a call it was told to abort.
          release();
          settle({ error: toOutboundError(error) });
        },
      };
      try {
        dispatcher.dispatch(options, handler);
      } catch (error) {
        release();
        settle({ error: toOutboundError(error) });
      }
    };

    const origin = String(options.origin);
    const place = limits.places.tryTake(origin);
    if (place !== undefined) {
      start(place);
      return;
    }
    const waiting = limits.places.wait(origin);
    leaveLine = waiting.cancel;
    waiting.ready.then(start, () => settle({ error: new OutboundError('busy') }));
  });
}

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeout = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, defaultTimeout);
  const resolve = sharedLookups(options.resolve ?? systemResolve, connectTimeout);
  // Node abandons an attempt at this point rather than racing it against the next (nodejs/node#48145),
  // so its 250 ms default fails slow but working routes (nodejs/node#54359); 500 ms is the value
  // proposed for that in nodejs/node#56738. 10 ms is net's floor.
  // net wants a whole number of ms and throws on any other.
  const attemptTimeout = Math.ceil(Math.max(10, Math.min(options.connectAttemptTimeoutMs ?? DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MS, connectTimeout)));
  const defaultMaxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Two pools so a connection opened for an allow-listed call is never reused by one that is not.
  const settings = { connectTimeoutMs: connectTimeout, attemptTimeoutMs: attemptTimeout, trustedCertificates: options.testOnlyTrustedCertificates };
  // Without a bound, a burst of calls (or a provider that stopped answering while clients retry)
  // opens a socket per call: one origin could take every file descriptor the process has (1,024 by
  // default), and the companion could no longer accept a request or open its database. The places
  // (origin-limit.ts) bound the calls in undici, for both pools together; undici's own bound keeps
  // a pool from opening a connection for a call that comes the moment another call's answer ends,
  // before that connection is free again (it waits for it instead).
  const perOrigin = options.maxConnectionsPerOrigin ?? DEFAULT_MAX_CONNECTIONS_PER_ORIGIN;
  const places = new OriginLimit(perOrigin, options.maxWaitingPerOrigin ?? perOrigin * 4);
  const pool = { connections: perOrigin, headersTimeout: defaultTimeout, bodyTimeout: defaultTimeout };
  const strict = new Agent({ ...pool, connect: guardedConnector(resolve, { ...settings, allowPrivate: false }) });
  const permissive = new Agent({ ...pool, connect: guardedConnector(resolve, { ...settings, allowPrivate: true }) });

  function parseTarget(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundError('bad_url');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('bad_scheme');
    // Credentials never travel in a URL.
    if (url.username !== '' || url.password !== '') throw new OutboundError('bad_url');
    return url;
  }

  async function request(call: OutboundRequest): Promise<OutboundResponse> {
    const url = parseTarget(call.url);
    if (call.signal?.aborted) throw new OutboundError('aborted');
    const allowPrivate = isUnderAllowedBase(url, call.allowedBaseUrls ?? []);
    const timeoutMs = call.timeoutMs ?? defaultTimeout;
    return dispatchCall(
      allowPrivate ? permissive : strict,
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: call.method,
        headers: { ...call.headers },
        body: call.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      { timeoutMs, maxBody: call.maxBodyBytes ?? defaultMaxBody, signal: call.signal, places },
    );
  }

  async function checkTarget(raw: string, allowedBaseUrls: readonly string[] = []): Promise<void> {
    const url = parseTarget(raw);
    await resolveChecked(resolve, url.hostname, isUnderAllowedBase(url, allowedBaseUrls));
  }

  async function close(): Promise<void> {
    await Promise.all([strict.close(), permissive.close()]);
  }

  return { request, checkTarget, totals: () => places.totals(), close };
}
