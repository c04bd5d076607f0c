// Enrichment runs: streamed progress and result land in history, a rejected key is named (with
// its id for "rotate"), cancel stops the request, and a one-provider plan's replace is sent.
import { beforeEach, describe, expect, it } from 'vitest';
import { PASSPHRASE, type Harness, createSignedInHarness } from '../testing/harness';
import { createRouter } from './router';

const OPENAI = `sk-proj-${'e'.repeat(30)}En1c`;
const GROQ = `gsk_${'g'.repeat(30)}Gq2x`;

describe('enrichment', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  it('reads the event stream: progress, then the result', async () => {
    harness.companion.enrichMode = 'sse';
    const { services } = harness;
    const id = await services.enrichment.start({ kind: 'page', text: 'Ada Lovelace.', title: 'Ada' });
    const entry = await services.enrichment.settle(id);
    expect(entry).toMatchObject({ state: 'done', title: 'Ada', result: { summary: 'A short summary.', usage: { costMicros: 12 } } });
    await expect.poll(async () => (await services.db.history.get(id))?.progress).toEqual({ done: 2, total: 2, stage: 'merge' });
  });

  it('sends a long URL and a broken title within the companion\'s limits instead of failing the page', async () => {
    const { services, companion } = harness;
    const url = `https://example.com/app?state=${'s'.repeat(6000)}`;
    const title = `Report \ud83d ${'t'.repeat(1200)}`;
    const entry = await services.enrichment.settle(await services.enrichment.start({ kind: 'page', text: 'Ada Lovelace.', url, title }));
    expect(entry).toMatchObject({ state: 'done' });
    const sent = companion.requests.filter((request) => request.path === '/v1/enrich').at(-1);
    const { input } = sent?.body as { input: { url: string; title: string } };
    expect(input.url).toBe(url.slice(0, 4096));
    expect(input.title).toBe(`Report \uFFFD ${'t'.repeat(1200)}`.slice(0, 1000));
    // A surrogate pair cut in two by the limit leaves a replacement character, not half a pair.
    await services.enrichment.settle(await services.enrichment.start({ kind: 'page', text: 'Ada.', url: 'https://example.com/', title: `${'a'.repeat(999)}😀` }));
    const cut = companion.requests.filter((request) => request.path === '/v1/enrich').at(-1)?.body as { input: { title: string } };
    expect(cut.input.title).toBe(`${'a'.repeat(999)}\uFFFD`);
  });

  it('makes grants again for the new key when the companion rotated its grant key early', async () => {
    const { services, companion } = harness;
    const key = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    expect(await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Before.' }))).toMatchObject({ state: 'done' });
    await companion.rotateGrantKey();
    const sentBefore = companion.requests.length;
    expect(await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'After.' }))).toMatchObject({ state: 'done' });
    // Refused under the cached key set, which is fetched again; then one more try, which works.
    expect(companion.requests.slice(sentBefore).map((request) => request.path).filter((path) => path !== '/v1/secrets')).toEqual(['/v1/enrich', '/v1/grant-keys', '/v1/enrich']);
    // Verification makes its grant the same way.
    await companion.rotateGrantKey();
    await expect(services.keys.verify(key.secretId)).resolves.toMatchObject({ status: 'valid' });
  });

  it('names the key a provider rejected', async () => {
    const { services, companion } = harness;
    await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    const groq = await services.keys.save({ provider: 'groq', label: 'Fast', apiKey: GROQ });
    companion.rejectSecretId = groq.secretId;
    const entry = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Text.' }));
    expect(entry?.state).toBe('error');
    expect(entry?.error).toMatchObject({ code: 'key_rejected', secretId: groq.secretId });
    expect(entry?.error?.message).toContain('"Fast" (gsk_•••Gq2x)');
    expect(entry?.error?.message).not.toContain(GROQ);
    expect((await services.db.keys.get(groq.secretId))?.status).toBe('invalid');

    // After the user fixed the key, "Try again" is a new request: under the first request id the
    // companion would replay the stored 424 for a day.
    companion.rejectSecretId = null;
    await services.enrichment.retry(entry!.id);
    expect(await services.enrichment.settle(entry!.id)).toMatchObject({ state: 'done' });
    const sentIds = companion.requests.filter((request) => request.path === '/v1/enrich').map((request) => request.requestId);
    expect(sentIds).toHaveLength(2);
    expect(sentIds[0]).toBe(entry!.id);
    expect(sentIds[1]).not.toBe(sentIds[0]);
  });

  it('asks to unlock only when a sealed key would be released: keyless entries need no vault', async () => {
    const { services, companion } = harness;
    await services.keys.save({ provider: 'ollama', label: 'Laptop', apiKey: '', baseUrl: 'http://127.0.0.1:11434' });
    await services.vault.lock();
    const keylessOnly = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Local text.' }));
    expect(keylessOnly?.state).toBe('done');
    const sent = companion.requests.filter((request) => request.path === '/v1/enrich').map((request) => (request.body as { grants: string[] }).grants);
    expect(sent).toEqual([[]]);

    await services.vault.unlock(PASSPHRASE);
    await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    await services.vault.lock();
    const withSealedKey = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Other text.' }));
    expect(withSealedKey).toMatchObject({ state: 'error', error: { code: 'locked' } });
  });

  it('cancels a running request', async () => {
    harness.companion.enrichMode = 'hang';
    const { services } = harness;
    const id = await services.enrichment.start({ kind: 'selection', text: 'Slow text.' });
    await expect.poll(() => harness.companion.requests.some((request) => request.path === '/v1/enrich')).toBe(true);
    services.enrichment.cancel(id);
    expect((await services.enrichment.settle(id))?.state).toBe('cancelled');
  });

  it('sends replace only when the user agreed to replace another provider', async () => {
    const { services, companion } = harness;
    await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    await services.keys.save({ provider: 'groq', label: 'Fast', apiKey: GROQ, replace: true });
    const puts = companion.requests.filter((request) => request.method === 'PUT').map((request) => (request.body as { replace?: boolean }).replace);
    expect(puts).toEqual([undefined, true]);
  });

  it('keeps a job that failed because the companion went away, and tries it again under the same entry', async () => {
    const { services, companion } = harness;
    await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    companion.enrichMode = 'hang';
    const id = await services.enrichment.start({ kind: 'selection', text: 'Grace Hopper and COBOL.' });
    await expect.poll(() => companion.requests.some((request) => request.path === '/v1/enrich')).toBe(true);
    companion.online = false;
    // The hung request dies with the companion (the fake rejects like a reset connection).
    companion.enrichMode = 'json';
    const failed = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Another text.' }));
    expect(failed).toMatchObject({ state: 'error', error: { code: 'companion_unreachable' }, retryable: true });
    // The text waits apart from the history row, which the side panel reads on every progress event.
    expect(failed).not.toHaveProperty('input');
    expect(await services.db.retryInputs.get(failed!.id)).toMatchObject({ kind: 'selection', text: 'Another text.' });
    services.enrichment.cancel(id);
    companion.online = true;
    await services.enrichment.retry(failed!.id);
    const retried = await services.enrichment.settle(failed!.id);
    expect(retried).toMatchObject({ state: 'done', result: { summary: 'A short summary.' } });
    expect(retried?.retryable).toBe(false);
    expect(await services.db.retryInputs.get(failed!.id)).toBeUndefined();
    expect(await services.db.history.count()).toBe(2);
    await expect(services.enrichment.retry(failed!.id)).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('removes a history entry together with the text kept for trying it again', async () => {
    const { services, companion } = harness;
    companion.online = false;
    const failed = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Kept for a retry.' }));
    expect(await services.db.retryInputs.count()).toBe(1);
    const router = createRouter(services);
    expect(await router({ channel: 'byok', type: 'history.remove', payload: { id: failed!.id } })).toEqual({ ok: true, value: null });
    expect(await services.db.history.count()).toBe(0);
    expect(await services.db.retryInputs.count()).toBe(0);
  });

  it('marks jobs of a terminated worker interrupted on restart, and they can be tried again', async () => {
    const { services, companion } = harness;
    companion.enrichMode = 'hang';
    const id = await services.enrichment.start({ kind: 'page', text: 'Ada Lovelace.', title: 'Ada' });
    await expect.poll(() => companion.requests.some((request) => request.path === '/v1/enrich')).toBe(true);
    companion.enrichMode = 'json';
    // The worker dies (its hung request never answers): a new service graph over the same
    // database, the old job still "running" there.
    const restarted = harness.restart();
    const ownJob = await restarted.enrichment.start({ kind: 'selection', text: 'New job.' });
    expect(await restarted.enrichment.recoverInterrupted()).toBe(1);
    expect(await restarted.db.history.get(id)).toMatchObject({ state: 'error', error: { code: 'interrupted' } });
    expect((await restarted.db.history.get(ownJob))?.state).not.toBe('error');
    expect(await restarted.enrichment.settle(ownJob)).toMatchObject({ state: 'done' });
    await restarted.enrichment.retry(id);
    expect(await restarted.enrichment.settle(id)).toMatchObject({ state: 'done', title: 'Ada' });
    // Whether the first attempt finished is unknown: the same request id gets its stored result
    // from the companion if it did, rather than a second, billed call.
    const attempts = companion.requests.filter((request) => request.path === '/v1/enrich' && request.requestId === id);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
  });
});
