// Enrichment runs: streamed progress and result land in history, a rejected key is named (with
// its id for "rotate"), cancel stops the request, and a one-provider plan's replace is sent.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { createHarness, EMAIL, PASSPHRASE, type Harness } from '../testing/harness';

const OPENAI = `sk-proj-${'e'.repeat(30)}En1c`;
const GROQ = `gsk_${'g'.repeat(30)}Gq2x`;

describe('enrichment', () => {
  let harness: Harness;

  beforeEach(async () => {
    fakeBrowser.reset();
    harness = await createHarness();
    await harness.services.vault.createAccount({ email: EMAIL, passphrase: PASSPHRASE });
  });

  it('reads the event stream: progress, then the result', async () => {
    harness.companion.enrichMode = 'sse';
    const { services } = harness;
    const id = await services.enrichment.start({ kind: 'page', text: 'Ada Lovelace.', title: 'Ada' });
    const entry = await services.enrichment.settle(id);
    expect(entry).toMatchObject({ state: 'done', title: 'Ada', result: { summary: 'A short summary.', usage: { costMicros: 12 } } });
    await expect.poll(async () => (await services.db.history.get(id))?.progress).toEqual({ done: 2, total: 2, stage: 'merge' });
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
});
