// The one HTTP client every provider call goes through. It enforces the outbound rules at connect
// time, after DNS resolution, on the address actually dialled (so DNS rebinding between a check and
// the connection cannot slip through), refuses redirects and non-http schemes, bounds time and
// response size, and fails with an OutboundError that never carries a URL, header or body.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isUnderAllowedBase } from './allow-list';
import { classifyAddress } from '@byok/shared/net/ip-ranges';
import { errorCodeOf } from '../services/error-code';
import { OutboundError } from './outbound-error';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Name resolution used at connect time; injectable so tests need no real DNS. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface OutboundClientOptions {
  readonly resolve?: ResolveHost;
  /** Default 10 s (never more than the total timeout of a call). */
  readonly connectTimeoutMs?: number;
  /** Default total timeout of a call (BYOK_PROVIDER_TIMEOUT_MS), default 60 s. */
  readonly timeoutMs?: number;
  /** Default response body limit, 8 MiB. */
  readonly maxBodyBytes?: number;
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
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const systemResolve: ResolveHost = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Resolves a host and judges every address; one disallowed address refuses the whole name. */
async function resolveChecked(resolve: ResolveHost, rawHost: string, allowPrivate: boolean): Promise<ResolvedAddress> {
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
  const first = addresses[0];
  if (first === undefined) throw new OutboundError('connect_failed');
  for (const entry of addresses) {
    const verdict = classifyAddress(entry.address);
    if (verdict === 'forbidden' || (verdict === 'private' && !allowPrivate)) throw new OutboundError('blocked_address');
  }
  return first;
}

function guardedConnector(resolve: ResolveHost, allowPrivate: boolean, connectTimeoutMs: number): buildConnector.connector {
  const dial = buildConnector({ timeout: connectTimeoutMs });
  return (options, callback) => {
    resolveChecked(resolve, options.hostname, allowPrivate).then(
      (chosen) => {
        const hostname = stripBrackets(options.hostname);
        // Dial the checked address itself; TLS still verifies the certificate against the name.
        const servername = options.servername ?? (isIP(hostname) === 0 ? hostname : undefined);
        dial({ ...options, hostname: chosen.address, ...(servername === undefined ? {} : { servername }) }, callback);
      },
      (error: unknown) => {
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

/** Drops a response body we will not read; the error undici emits on destroy is expected. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Maps whatever undici or the socket threw to one OutboundError, judging aborts by who fired. */
function toOutboundError(error: unknown, timedOut: boolean, callerAborted: boolean): OutboundError {
  if (error instanceof OutboundError) return error;
  if (timedOut) return new OutboundError('timeout');
  if (callerAborted) return new OutboundError('aborted');
  const code = errorCodeOf(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new OutboundError('timeout');
  }
  // The connector's own refusal can arrive wrapped by undici; look one level down.
  if (error instanceof Error && error.cause instanceof OutboundError) return error.cause;
  return new OutboundError('connect_failed');
}

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const resolve = options.resolve ?? systemResolve;
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeout = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, defaultTimeout);
  const defaultMaxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Two pools so a connection opened for an allow-listed call is never reused by one that is not.
  const strict = new Agent({ connect: guardedConnector(resolve, false, connectTimeout), headersTimeout: defaultTimeout, bodyTimeout: defaultTimeout });
  const permissive = new Agent({ connect: guardedConnector(resolve, true, connectTimeout), headersTimeout: defaultTimeout, bodyTimeout: defaultTimeout });

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
    const dispatcher = allowPrivate ? permissive : strict;
    const timeoutMs = call.timeoutMs ?? defaultTimeout;
    const maxBody = call.maxBodyBytes ?? defaultMaxBody;

    const controller = new AbortController();
    let timedOut = false;
    let callerAborted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = (): void => {
      callerAborted = true;
      controller.abort();
    };
    call.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: call.method,
        headers: { ...call.headers },
        body: call.body,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (response.statusCode >= 300 && response.statusCode < 400) {
        discard(response.body);
        throw new OutboundError('redirect', response.statusCode);
      }
      const headers = flattenHeaders(response.headers);
      const declared = Number(headers['content-length'] ?? '0');
      if (Number.isFinite(declared) && declared > maxBody) {
        discard(response.body);
        throw new OutboundError('too_large');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += buffer.length;
        if (size > maxBody) {
          discard(response.body);
          throw new OutboundError('too_large');
        }
        chunks.push(buffer);
      }
      return { status: response.statusCode, headers, body: Buffer.concat(chunks).toString('utf8') };
    } catch (error) {
      throw toOutboundError(error, timedOut, callerAborted);
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function checkTarget(raw: string, allowedBaseUrls: readonly string[] = []): Promise<void> {
    const url = parseTarget(raw);
    await resolveChecked(resolve, url.hostname, isUnderAllowedBase(url, allowedBaseUrls));
  }

  async function close(): Promise<void> {
    await Promise.all([strict.close(), permissive.close()]);
  }

  return { request, checkTarget, close };
}
