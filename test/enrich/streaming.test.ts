// Streaming POST /v1/enrich: progress frames as chunks finish, then one result frame; errors
// before the first byte stay ordinary JSON; a client that disconnects stops the provider calls.
import type { EnrichResponse } from '@byok/shared/wire/enrich';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFrames, startHarness, type Harness } from './harness';

let h: Harness;

/** Many paragraphs; with a small-context model (8k tokens) this needs several chunks. */
function longText(paragraphs: number): string {
  return Array.from({ length: paragraphs }, (_, index) => `Section ${index} begins. Ada Lovelace appears in section ${index}. ${'and filler words follow here. '.repeat(60)}`).join('\n\n');
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.assertNoLeaks();
  await h.close();
});

async function streamRequest(body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${h.server.baseUrl}/v1/enrich`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.owner.accessToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

describe('streaming enrichment', () => {
  it('streams progress per finished chunk, then the result', async () => {
    // pharia-1-llm-7b-control has an 8k context: this text needs several chunks.
    h.emulator.reset();
    const { secretId } = await h.addKey('aleph-alpha');
    const response = await streamRequest({
      task: 'enrich',
      provider: 'aleph-alpha',
      model: 'pharia-1-llm-7b-control',
      input: { kind: 'document', text: longText(30) },
      grants: [await h.grant(secretId)],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    h.seen.push({ name: 'stream', content: text });
    const frames = parseFrames(text);
    const progress = frames.filter((frame) => frame.event === 'progress').map((frame) => frame.data as { done: number; total: number; stage: string });
    expect(progress.length).toBeGreaterThan(4);
    expect(progress.map((event) => event.done)).toEqual(progress.map((_, index) => index + 1));
    expect(frames.at(-1)?.event).toBe('result');
    expect(frames.filter((frame) => frame.event === 'result')).toHaveLength(1);
    const result = frames.at(-1)?.data as EnrichResponse;
    expect(result.route.provider).toBe('aleph-alpha');
    expect(result.usage.calls).toBe(h.emulator.requests.length);
    expect(result.entities?.find((entity) => entity.text === 'Ada Lovelace')?.count).toBe(30);
  });

  it('answers errors before the first byte as plain JSON', async () => {
    const response = await streamRequest({ task: 'summary', input: { kind: 'selection', text: 'x' }, grants: ['not-a-grant'] });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe('grant_invalid');
  });

  it('sends a routed failure as the error frame', async () => {
    const { secretId } = await h.addKey('openai', { register: false });
    const response = await streamRequest({ task: 'summary', input: { kind: 'selection', text: 'Short text here.' }, grants: [await h.grant(secretId)] });
    const frames = parseFrames(await response.text());
    expect(frames.at(-1)).toEqual({ event: 'error', data: { error: { code: 'key_rejected', message: expect.any(String) } } });
  });

  it('a client that disconnects stops the remaining provider calls', async () => {
    h.emulator.reset();
    h.emulator.setBehavior({ provider: 'aleph-alpha' }, { latencyMs: 250 });
    const { secretId } = await h.addKey('aleph-alpha');
    const controller = new AbortController();
    const response = await streamRequest(
      { task: 'summary', provider: 'aleph-alpha', model: 'pharia-1-llm-7b-control', input: { kind: 'document', text: longText(60) }, grants: [await h.grant(secretId)] },
      controller.signal,
    );
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('event: progress')) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      received += decoder.decode(chunk.value);
    }
    controller.abort();
    const atAbort = h.emulator.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 900));
    // At most the calls already in flight (4) finish; nothing new is sent after the abort.
    expect(h.emulator.requests.length).toBeLessThanOrEqual(atAbort + 4);
    const settled = h.emulator.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.emulator.requests.length).toBe(settled);
    expect(h.emulator.inFlight()).toBe(0);
    // Far fewer calls than the 60-chunk job would have made.
    expect(settled).toBeLessThan(20);
    h.emulator.setBehavior({ provider: 'aleph-alpha' }, null);
    // The abandoned stream is counted as 499 (client closed), not as the 200 it had started.
    const metrics = await h.request('GET', '/metrics');
    expect(metrics.text).toMatch(/byok_http_requests_total\{[^}]*route="\/v1\/enrich"[^}]*status="499"[^}]*\} 1/);
  });
});
