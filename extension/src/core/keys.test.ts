// Keys and grants: sealing interoperates with the server side (grants open with the shared
// openGrant, seals open with the released data key), one grant per personal key for a call,
// rotation keeps the id, and nothing secret is ever stored in IndexedDB.
import { beforeEach, describe, expect, it } from 'vitest';
import { ROTATION_OVERTAKEN_NOW, ROTATION_TARGET_REMOVED_NOW } from './keys';
import { dumpDatabase, PASSPHRASE, type Harness, createSignedInHarness } from '../testing/harness';
import { encodedValues } from '@byok/shared/testing/encoded-forms';

const OPENAI = `sk-proj-${'x'.repeat(30)}Q7kZ`;
const ROTATED = `sk-${'y'.repeat(30)}R0t8`;
const GROQ = `gsk_${'z'.repeat(30)}gr0q`;

describe('keys and grants', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  it('seals, lists with the hint, rotates under the same id and reorders', async () => {
    const { services, companion } = harness;
    const saved = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    expect(saved.state).toBe('stored');
    const put = companion.requests.find((request) => request.method === 'PUT');
    expect(JSON.stringify(put?.body)).not.toContain(OPENAI);
    expect((put?.body as { hint: unknown }).hint).toEqual({ prefix: 'sk-proj-', last4: 'Q7kZ' });
    await services.keys.save({ secretId: saved.secretId, provider: 'openai', label: 'Work', apiKey: ROTATED });
    const groq = await services.keys.save({ provider: 'groq', label: 'Fast', apiKey: GROQ });
    let list = await services.keys.list();
    expect(list.keys.map((key) => key.id)).toEqual([saved.secretId, groq.secretId]);
    expect(list.keys[0]).toMatchObject({ hint: { prefix: 'sk-', last4: 'R0t8' } });
    expect(list.keys[0]?.rotatedAt).not.toBeNull();
    await services.keys.reorder([groq.secretId, saved.secretId]);
    list = await services.keys.list();
    expect(list.keys.map((key) => key.id)).toEqual([groq.secretId, saved.secretId]);
    await expect(services.keys.save({ secretId: saved.secretId, provider: 'groq', label: 'x', apiKey: GROQ })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses an online rotation over a change made on another device, lists the key anew, and rotates when saved again', async () => {
    const { services, companion } = harness;
    const saved = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    companion.changeElsewhere(saved.secretId);
    const rotate = () => services.keys.save({ secretId: saved.secretId, provider: 'openai', label: 'Work', apiKey: ROTATED });
    await expect(rotate()).rejects.toMatchObject({ code: 'conflict', message: ROTATION_OVERTAKEN_NOW });
    expect(companion.secrets.get(saved.secretId)!.view.hint.last4).toBe('Q7kZ');
    const now = companion.secrets.get(saved.secretId)!.view;
    expect(await services.db.keys.get(saved.secretId)).toMatchObject({ label: now.label, version: now.version });
    expect(await services.outbox.list()).toEqual([]);

    expect((await rotate()).state).toBe('stored');
    const lastPut = companion.requests.filter((request) => request.method === 'PUT').at(-1);
    expect(lastPut?.ifMatch).toBe(`"${now.version}"`);
    expect(companion.secrets.get(saved.secretId)!.view.hint.last4).toBe('R0t8');
  });

  it('refuses an online rotation of a key removed on another device, and says saving again stores it anew', async () => {
    const { services, companion } = harness;
    const saved = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    companion.secrets.delete(saved.secretId);
    const rotate = () => services.keys.save({ secretId: saved.secretId, provider: 'openai', label: 'Work', apiKey: ROTATED });
    await expect(rotate()).rejects.toMatchObject({ code: 'conflict', message: ROTATION_TARGET_REMOVED_NOW });
    expect(companion.secrets.has(saved.secretId)).toBe(false);
    expect(await services.db.keys.get(saved.secretId)).toBeUndefined();
    expect((await rotate()).state).toBe('stored');
    expect(companion.secrets.get(saved.secretId)!.view.hint.last4).toBe('R0t8');
  });

  it('removing a key drops its queued rotation, which would otherwise bring it back', async () => {
    const { services, companion } = harness;
    const saved = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    companion.online = false;
    expect((await services.keys.save({ secretId: saved.secretId, provider: 'openai', label: 'Work', apiKey: ROTATED })).state).toBe('queued');
    companion.online = true;
    await services.keys.remove(saved.secretId);
    expect(await services.outbox.list()).toEqual([]);
    expect((await services.outbox.drain(true)).uploaded).toEqual([]);
    expect(companion.secrets.has(saved.secretId)).toBe(false);
  });

  it('refuses keys that do not match the provider format before sealing', async () => {
    await expect(harness.services.keys.save({ provider: 'anthropic', label: 'x', apiKey: OPENAI })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(harness.companion.requests.some((request) => request.method === 'PUT')).toBe(false);
  });

  it('makes one enrich grant per personal key and the server opens each seal', async () => {
    const { services, companion } = harness;
    await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    await services.keys.save({ provider: 'groq', label: 'B', apiKey: GROQ });
    const id = await services.enrichment.start({ kind: 'selection', text: 'Ada Lovelace wrote the first program.' });
    const entry = await services.enrichment.settle(id);
    expect(entry?.state).toBe('done');
    expect(entry?.result?.summary).toBe('A short summary.');
    const enrich = companion.requests.find((request) => request.path === '/v1/enrich');
    expect((enrich?.body as { grants: string[] }).grants).toHaveLength(2);
    expect(companion.opened).toEqual([OPENAI, GROQ]);
  });

  it('refuses to make grants while locked', async () => {
    const { services } = harness;
    await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    await services.vault.lock();
    const entry = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Some text.' }));
    expect(entry?.error?.code).toBe('locked');
  });

  it('never stores a plaintext key, token, grant or data key in any table', async () => {
    const { services, companion, tokens } = harness;
    await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    companion.online = false;
    await services.keys.save({ provider: 'groq', label: 'B', apiKey: GROQ });
    companion.online = true;
    await services.outbox.drain(true);
    await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Text to enrich.' }));
    const dump = await dumpDatabase(services.db);
    for (const secret of [OPENAI, GROQ, PASSPHRASE, tokens.value!.accessToken, tokens.value!.refreshToken]) {
      for (const form of encodedValues(secret)) expect(dump).not.toContain(form);
    }
    const enrich = companion.requests.find((request) => request.path === '/v1/enrich');
    for (const grant of (enrich?.body as { grants: string[] }).grants) expect(dump).not.toContain(grant);
    expect(dump).not.toMatch(/"dek"|"ct"|"iv"/);
  });
});

describe('the pages\' catalog view', () => {
  it('checks key formats exactly as the shared catalog does', async () => {
    const shared = await import('@byok/shared');
    const pages = await import('../ui/catalog');
    const samples = [OPENAI, ROTATED, GROQ, 'sk-ant-' + 'a'.repeat(30), 'AIza' + 'b'.repeat(35), 'c'.repeat(32), 'none', '', 'sk-short'];
    for (const entry of shared.PROVIDERS) {
      for (const sample of samples) expect(pages.matchesKeyFormat(entry.id, sample), `${entry.id} ${sample}`).toBe(shared.matchesKeyFormat(entry.id, sample));
    }
  });
});

describe('keyless entries (a provider that runs without a key)', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  it('saves a local Ollama with no key: no seal, no hint, no grant, verified with an empty body', async () => {
    const { services, companion } = harness;
    const saved = await services.keys.save({ provider: 'ollama', label: 'Laptop', apiKey: '', baseUrl: 'http://127.0.0.1:11434' });
    expect(saved.state).toBe('stored');
    const put = companion.requests.find((request) => request.method === 'PUT');
    expect(put?.body).not.toHaveProperty('sealed');
    expect(put?.body).not.toHaveProperty('hint');
    const openai = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: OPENAI });
    const list = await services.keys.list();
    expect(list.keys.find((key) => key.id === saved.secretId)).toMatchObject({ keyless: true });
    expect(list.keys.find((key) => key.id === saved.secretId)?.wrappedDek).toBeUndefined();

    const unlocked = await services.vault.require();
    const grants = await services.grants.grantsForRoute(unlocked, list.keys);
    expect(grants).toHaveLength(1); // only the sealed key is released

    await services.keys.verify(saved.secretId);
    const verify = companion.requests.find((request) => request.path.endsWith(`${saved.secretId}/verify`));
    expect(verify?.body).toEqual({});
    expect(companion.opened).toEqual([]);
    await services.keys.verify(openai.secretId);
    expect(companion.opened).toEqual([OPENAI]);
  });

  it('still refuses an empty key for a provider that needs one', async () => {
    await expect(harness.services.keys.save({ provider: 'openai', label: 'Work', apiKey: '' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('queues a keyless entry in the outbox while the companion is away and uploads it unsealed', async () => {
    const { services, companion } = harness;
    companion.online = false;
    const saved = await services.keys.save({ provider: 'ollama', label: 'Laptop', apiKey: '', baseUrl: 'http://127.0.0.1:11434' });
    expect(saved.state).toBe('queued');
    const [queued] = await services.db.outbox.toArray();
    expect(queued?.sealed).toBeUndefined();
    companion.online = true;
    const report = await services.outbox.drain(true);
    expect(report.uploaded).toEqual([saved.secretId]);
    expect(companion.secrets.get(saved.secretId)?.view.keyless).toBe(true);
  });
});
