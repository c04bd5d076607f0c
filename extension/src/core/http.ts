// The HTTP layer under the api client: JSON requests to the companion with the bearer token,
// one refresh-and-retry on 401, companion errors mapped to ExtensionError, and the SSE reader
// used by streaming enrichment.
import { isErrorCode } from '@byok/shared';
import { ExtensionError } from './errors';
import type { TokenStore } from './token-store';

/** Anything with zod's `parse` (the shared wire schemas) checks an answer at the edge. */
export interface Parser<T> {
  parse(value: unknown): T;
}

export interface RequestOptions<T> {
  body?: unknown;
  auth?: boolean;
  parse?: Parser<T>;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface HttpDeps {
  baseUrl: () => Promise<string>;
  tokens: TokenStore;
  fetch?: typeof fetch;
}

export class Http {
  private refreshing: Promise<boolean> | null = null;

  constructor(private readonly deps: HttpDeps) {}

  private get fetchImpl(): typeof fetch {
    return this.deps.fetch ?? ((input, init) => fetch(input, init));
  }

  async json<T>(method: string, path: string, options: RequestOptions<T> = {}): Promise<T> {
    const response = await this.raw(method, path, options);
    if (response.status === 204) return undefined as T;
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new ExtensionError('bad_response', 'The companion sent an answer the extension cannot read.', { cause: error });
    }
    if (!options.parse) return body as T;
    try {
      return options.parse.parse(body);
    } catch (error) {
      throw new ExtensionError('bad_response', 'The companion sent an answer the extension cannot read.', { cause: error });
    }
  }

  /** A request whose non-2xx answers are thrown as ExtensionError; the caller reads the body. */
  async raw(method: string, path: string, options: RequestOptions<unknown> = {}): Promise<Response> {
    const auth = options.auth ?? true;
    let response = await this.send(method, path, options, auth);
    if (response.status === 401 && auth) {
      // The body is read once. A wrong passphrase (401 invalid_credentials) is not an expired
      // token: no refresh for it.
      const refused = await errorFromResponse(response);
      if (refused.code === 'invalid_credentials') throw refused;
      // The session is over (the refresh token was refused): the caller waits for a sign-in, and
      // queued work stays queued (signed_out is retryable) instead of failing for good.
      if (!(await this.refreshOnce())) throw new ExtensionError('signed_out', 'Your session with the companion ended: sign in again.', { status: 401 });
      response = await this.send(method, path, options, auth);
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  private async send(method: string, path: string, options: RequestOptions<unknown>, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (auth) {
      const tokens = await this.deps.tokens.get();
      if (!tokens) throw new ExtensionError('signed_out', 'Sign in to the companion first.');
      headers.authorization = `Bearer ${tokens.accessToken}`;
    }
    const base = await this.deps.baseUrl();
    try {
      return await this.fetchImpl(base + path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'omit',
      });
    } catch (error) {
      if (options.signal?.aborted) throw new ExtensionError('cancelled', 'Cancelled.');
      throw new ExtensionError('companion_unreachable', `The companion at ${base} cannot be reached.`, { cause: error });
    }
  }

  /** Refresh tokens are single use: concurrent 401s share one refresh. */
  private refreshOnce(): Promise<boolean> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<boolean> {
    const tokens = await this.deps.tokens.get();
    if (!tokens) return false;
    const response = await this.send('POST', '/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } }, false);
    if (!response.ok) {
      // Only a refusal of the token itself (a used, revoked or expired family: 401; a malformed
      // request: other 4xx) ends the session. A busy or failing companion (408, 429, 5xx) keeps it
      // for the next try; its error is thrown as is, and is retryable.
      if (response.status === 408 || response.status === 429 || response.status >= 500) throw await errorFromResponse(response);
      await this.deps.tokens.clear();
      return false;
    }
    const body = (await response.json()) as { accessToken?: unknown; refreshToken?: unknown };
    if (typeof body.accessToken !== 'string' || typeof body.refreshToken !== 'string') return false;
    await this.deps.tokens.set({ accessToken: body.accessToken, refreshToken: body.refreshToken });
    return true;
  }
}

async function errorFromResponse(response: Response): Promise<ExtensionError> {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not JSON (a proxy page, a 404 from another server): the status alone speaks.
  }
  if (code !== undefined && isErrorCode(code)) {
    return new ExtensionError(code, message ?? code, { status: response.status });
  }
  if (response.status === 404) return new ExtensionError('not_found', 'The companion does not offer this yet.', { status: 404 });
  return new ExtensionError(response.status >= 500 ? 'internal' : 'bad_response', `The companion answered ${response.status}.`, {
    status: response.status,
  });
}

export { errorFromResponse };

/** Reads `event:`/`data:` frames of a text/event-stream body, calling `onFrame` for each. */
export async function readEventStream(body: ReadableStream<Uint8Array>, onFrame: (event: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let split = buffer.indexOf('\n\n');
    while (split >= 0) {
      const frame = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onFrame(event, data.join('\n'));
      split = buffer.indexOf('\n\n');
    }
  }
}
