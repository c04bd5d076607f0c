// Passphrase change against the fake companion: fresh KDF parameters, every personal data key
// re-wrapped in one request, the KEK in IndexedDB and the cached wrappedDek values replaced, the
// outbox re-wrapped too, 409 retried once then explained, a wrong current passphrase refused.
import { beforeEach, describe, expect, it } from 'vitest';
import { unwrapDek } from '@byok/shared';
import { ByokDb } from '../db';
import { dumpDatabase, EMAIL, memoryTokens, PASSPHRASE, type Harness, createSignedInHarness } from '../testing/harness';
import { createServices } from './services';
import { encodedValues } from '@byok/shared/testing/encoded-forms';

const NEW_PASSPHRASE = 'violet anchor saddle quartz';
const OPENAI = `sk-proj-${'p'.repeat(30)}Pa55`;
const GROQ = `gsk_${'q'.repeat(30)}Gq01`;
const MISTRAL = `${'m'.repeat(32)}`;

interface PassphraseBody {
  kdf: { name: string; iterations: number; salt: string };
  authProof: string;
  newAuthProof: string;
  rewrapped: { id: string; wrappedDek: string; version?: number }[];
}

describe('passphrase change', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  const changes = () => harness.companion.requests.filter((request) => request.path === '/v1/auth/passphrase').map((request) => request.body as unknown as PassphraseBody);

  it('re-wraps every personal key in one request and replaces the KEK and the cached wrappings', async () => {
    const { services, companion } = harness;
    const a = await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    const b = await services.keys.save({ provider: 'groq', label: 'B', apiKey: GROQ });
    companion.online = false;
    await services.keys.save({ provider: 'mistral', label: 'Queued', apiKey: MISTRAL });
    companion.online = true;
    const oldKek = (await services.db.vaultSession.get('current'))!.kek;
    const oldKdf = (await services.settings.get('account'))!.kdf;
    const oldOutboxWrapping = (await services.db.outbox.toArray())[0]!.sealed!.wrappedDek;

    const result = await services.passphrase.change(PASSPHRASE, NEW_PASSPHRASE);
    expect(result).toEqual({ rewrapped: 2, outbox: 1 });

    const [body] = changes();
    expect(changes()).toHaveLength(1);
    expect(body!.kdf.salt).not.toBe(oldKdf.salt);
    expect(body!.kdf.iterations).toBeGreaterThanOrEqual(600_000);
    expect(body!.authProof).not.toBe(body!.newAuthProof);
    expect(body!.rewrapped.map((entry) => entry.id).sort()).toEqual([a.secretId, b.secretId].sort());
    const wire = JSON.stringify(body);
    for (const secret of [PASSPHRASE, NEW_PASSPHRASE, OPENAI, GROQ]) expect(wire).not.toContain(secret);

    // The vault session holds a new non-extractable KEK that unwraps the cached wrappings.
    const session = (await services.db.vaultSession.get('current'))!;
    expect(session.kek.extractable).toBe(false);
    expect((await services.settings.get('account'))!.kdf).toEqual(body!.kdf);
    for (const key of await services.db.keys.toArray()) {
      expect(key.wrappedDek).toBe(body!.rewrapped.find((entry) => entry.id === key.id)!.wrappedDek);
      expect(key.wrappedDek).toBe(companion.secrets.get(key.id)!.view.wrappedDek);
      (await unwrapDek(session.kek, key.wrappedDek!)).fill(0);
      await expect(unwrapDek(oldKek, key.wrappedDek!)).rejects.toThrow();
    }
    const queued = (await services.db.outbox.toArray())[0]!;
    expect(queued.sealed!.wrappedDek).not.toBe(oldOutboxWrapping);
    (await unwrapDek(session.kek, queued.sealed!.wrappedDek)).fill(0);

    // The queued key uploads later under the new wrapping; enrichment opens all three seals.
    await services.outbox.drain(true);
    await services.keys.refresh();
    const entry = await services.enrichment.settle(await services.enrichment.start({ kind: 'selection', text: 'Ada wrote notes.' }));
    expect(entry?.state).toBe('done');
    expect(companion.opened).toEqual([OPENAI, GROQ, MISTRAL]);

    // After a restart (KEK from IndexedDB), lock: the old passphrase is refused online and offline.
    const restarted = harness.restart();
    expect(await restarted.vault.state()).toBe('unlocked');
    await restarted.vault.lock();
    await expect(restarted.vault.unlock(PASSPHRASE)).rejects.toMatchObject({ code: 'invalid_credentials' });
    companion.online = false;
    await expect(restarted.vault.unlock(PASSPHRASE)).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await restarted.vault.unlock(NEW_PASSPHRASE);
    companion.online = true;
    await restarted.vault.lock();
    await restarted.vault.unlock(NEW_PASSPHRASE);
    expect(await restarted.vault.state()).toBe('unlocked');

    const dump = await dumpDatabase(restarted.db);
    for (const secret of [PASSPHRASE, NEW_PASSPHRASE, OPENAI, GROQ, MISTRAL]) for (const form of encodedValues(secret)) expect(dump).not.toContain(form);
  });

  it('refuses a wrong current passphrase and changes nothing, without spending the refresh token', async () => {
    const { services, companion } = harness;
    // No personal key: only the companion can tell that the current passphrase is wrong (401).
    await expect(services.passphrase.change('not the passphrase', NEW_PASSPHRASE)).rejects.toMatchObject({ code: 'wrong_passphrase' });
    expect(companion.requests.some((request) => request.path === '/v1/auth/refresh')).toBe(false);
    // With a key the client already knows: the old wrapping does not open, nothing is sent.
    await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    await expect(services.passphrase.change('still not it', NEW_PASSPHRASE)).rejects.toMatchObject({ code: 'wrong_passphrase' });
    expect(changes()).toHaveLength(1);
    await services.vault.lock();
    await services.vault.unlock(PASSPHRASE);
  });

  it('checks the new passphrase before any work', async () => {
    await expect(harness.services.passphrase.change(PASSPHRASE, 'short')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(harness.services.passphrase.change(PASSPHRASE, PASSPHRASE)).rejects.toMatchObject({ code: 'invalid_input' });
    expect(changes()).toHaveLength(0);
  });

  it('lists again and retries once when the key set changed meanwhile (409), then explains', async () => {
    const { services, companion } = harness;
    const a = await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    // "Another device" adds a key between our listing and the change, once.
    let added = 0;
    const addFromElsewhere = () => {
      const source = companion.secrets.get(a.secretId)!;
      const id = crypto.randomUUID();
      companion.secrets.set(id, { view: { ...source.view, id, label: `Other ${added}` }, sealed: source.sealed });
      added += 1;
    };
    companion.beforePassphraseChange = () => {
      if (added === 0) addFromElsewhere();
    };
    await services.passphrase.change(PASSPHRASE, NEW_PASSPHRASE);
    expect(changes()).toHaveLength(2);
    expect(changes()[1]!.rewrapped).toHaveLength(2);

    // Every attempt conflicts: after one retry the user is told, and nothing changed.
    companion.beforePassphraseChange = addFromElsewhere;
    const kdfBefore = (await services.settings.get('account'))!.kdf;
    await expect(services.passphrase.change(NEW_PASSPHRASE, PASSPHRASE)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Nothing was changed'),
    });
    expect(changes()).toHaveLength(4);
    expect((await services.settings.get('account'))!.kdf).toEqual(kdfBefore);
    const kek = (await services.db.vaultSession.get('current'))!.kek;
    (await unwrapDek(kek, (await services.db.keys.get(a.secretId))!.wrappedDek!)).fill(0);
    await services.vault.lock();
    await services.vault.unlock(NEW_PASSPHRASE);
  });

  it('sends the version each key was listed at; a key rotated on another device meanwhile is listed again and re-wrapped as it is now', async () => {
    const { services, companion } = harness;
    const a = await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    const b = await services.keys.save({ provider: 'groq', label: 'B', apiKey: GROQ });
    // "Another device" rotates A (a new data key and ciphertext, a new version) once, between our listing and the change.
    const rotatedFrom = (await services.keys.save({ provider: 'mistral', label: 'Donor', apiKey: MISTRAL })).secretId;
    const donor = companion.secrets.get(rotatedFrom)!;
    companion.secrets.delete(rotatedFrom);
    await services.keys.list();
    const listedA = companion.secrets.get(a.secretId)!.view.version;
    const oldKek = (await services.db.vaultSession.get('current'))!.kek;
    let rotations = 0;
    companion.beforePassphraseChange = () => {
      if (rotations > 0) return;
      rotations += 1;
      const current = companion.secrets.get(a.secretId)!;
      companion.secrets.set(a.secretId, { view: { ...current.view, version: (donor.view.version ?? 0) + 100, wrappedDek: donor.sealed!.wrappedDek }, sealed: donor.sealed });
    };
    await services.passphrase.change(PASSPHRASE, NEW_PASSPHRASE);
    const [stale, fresh] = changes();
    expect(changes()).toHaveLength(2);
    const versionOf = (body: PassphraseBody | undefined, id: string) => body?.rewrapped.find((entry) => entry.id === id)?.version;
    expect(versionOf(stale, a.secretId)).toBe(listedA);
    expect(versionOf(fresh, a.secretId)).toBe(companion.secrets.get(a.secretId)!.view.version);
    expect(versionOf(fresh, a.secretId)).not.toBe(listedA);
    expect(versionOf(fresh, b.secretId)).toBe(companion.secrets.get(b.secretId)!.view.version);
    // What the companion keeps for A is the rotated key's own data key, now under the new KEK.
    const newKek = (await services.db.vaultSession.get('current'))!.kek;
    const kept = await unwrapDek(newKek, companion.secrets.get(a.secretId)!.sealed!.wrappedDek);
    const rotatedDek = await unwrapDek(oldKek, donor.sealed!.wrappedDek);
    expect(Buffer.from(kept).equals(Buffer.from(rotatedDek))).toBe(true);
    kept.fill(0);
    rotatedDek.fill(0);
  });

  it('holds back a key another device sealed offline under the old passphrase', async () => {
    const { services, companion, clock } = harness;
    await services.keys.save({ provider: 'openai', label: 'A', apiKey: OPENAI });
    // Device B: same account, its own database, signed in before the change.
    const tokensB = memoryTokens();
    const deviceB = createServices({ db: new ByokDb(`byok-test-${crypto.randomUUID()}`), fetch: companion.fetch, tokens: tokensB, now: () => clock.now });
    await deviceB.vault.signIn({ email: EMAIL, passphrase: PASSPHRASE });
    await deviceB.keys.refresh();
    await services.passphrase.change(PASSPHRASE, NEW_PASSPHRASE);
    // B, offline and still unlocked with the old KEK, seals a key: it waits in B's outbox.
    companion.online = false;
    expect((await deviceB.keys.save({ provider: 'groq', label: 'Stale', apiKey: GROQ })).state).toBe('queued');
    companion.online = true;
    // B's session was ended by the change; B unlocks with the new passphrase, then drains.
    await deviceB.vault.lock();
    await deviceB.vault.unlock(NEW_PASSPHRASE);
    const report = await deviceB.outbox.drain(true);
    expect(report.failed).toHaveLength(1);
    const [item] = await deviceB.outbox.list();
    expect(item).toMatchObject({ state: 'failed', lastError: { code: 'conflict' } });
    expect([...companion.secrets.values()].map((entry) => entry.view.label)).toEqual(['A']);
  });
});
