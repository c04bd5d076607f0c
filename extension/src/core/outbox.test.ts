// Outbox: keys saved while the companion is unreachable wait sealed, upload in order when it is
// back (also after a worker/browser restart), and refused uploads keep their reason.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { OUTBOX_ALARM, ROTATION_OVERTAKEN } from './outbox';
import { dumpDatabase, PASSPHRASE, type Harness, createSignedInHarness } from '../testing/harness';
import { encodedValues } from '@byok/shared/testing/encoded-forms';

const KEY_A = `sk-proj-${'A1'.repeat(20)}`;
const KEY_B = `sk-ant-${'B2'.repeat(20)}`;
const KEY_C = `gsk_${'C3'.repeat(20)}`;
const ROTATED_1 = `sk-proj-${'D4'.repeat(20)}`;
const ROTATED_2 = `sk-proj-${'E5'.repeat(20)}`;

describe('outbox', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  it('queues sealed keys while offline and uploads them in order after a restart', async () => {
    const { services, companion } = harness;
    companion.online = false;
    expect((await services.keys.save({ provider: 'openai', label: 'First', apiKey: KEY_A })).state).toBe('queued');
    expect((await services.keys.save({ provider: 'anthropic', label: 'Second', apiKey: KEY_B })).state).toBe('queued');
    companion.online = true;
    // Even online, a new save waits behind the queue so that order holds.
    expect((await services.keys.save({ provider: 'groq', label: 'Third', apiKey: KEY_C })).state).toBe('queued');
    const queued = await services.outbox.list();
    expect(queued.map((item) => item.label)).toEqual(['First', 'Second', 'Third']);
    expect(await fakeBrowser.alarms.get(OUTBOX_ALARM)).toBeDefined();
    const dump = await dumpDatabase(services.db);
    for (const key of [KEY_A, KEY_B, KEY_C]) for (const form of encodedValues(key)) expect(dump).not.toContain(form);

    const restarted = harness.restart();
    const report = await restarted.outbox.drain(true);
    expect(report.uploaded).toHaveLength(3);
    const puts = companion.requests.filter((request) => request.method === 'PUT' && request.path.startsWith('/v1/secrets/'));
    expect(puts.map((request) => (request.body as { label: string }).label)).toEqual(['First', 'Second', 'Third']);
    expect(await restarted.outbox.list()).toHaveLength(0);
    expect(await fakeBrowser.alarms.get(OUTBOX_ALARM)).toBeUndefined();
    // The uploaded seals open on the server side with a grant: nothing was lost in the queue.
    const list = await restarted.keys.refresh();
    await restarted.keys.verify(list[0]!.id);
    expect(companion.opened).toEqual([KEY_A]);
  });

  it('keeps a refused upload with its reason and carries on with the next', async () => {
    const { services, companion } = harness;
    companion.online = false;
    await services.keys.save({ provider: 'openai', label: 'Refused', apiKey: KEY_A });
    await services.keys.save({ provider: 'groq', label: 'Fine', apiKey: KEY_C });
    companion.online = true;
    companion.refuseNextPut = { status: 403, code: 'plan_limit', message: 'Your plan allows one provider.' };
    const report = await services.outbox.drain(true);
    expect(report.failed).toHaveLength(1);
    expect(report.uploaded).toHaveLength(1);
    const [failed] = await services.outbox.list();
    expect(failed).toMatchObject({ label: 'Refused', state: 'failed', lastError: { code: 'plan_limit', message: 'Your plan allows one provider.' } });
    await services.outbox.retry(failed!.seq!);
    expect((await services.outbox.drain(true)).uploaded).toHaveLength(1);
    expect(await services.outbox.list()).toHaveLength(0);
  });

  it('stops at the first unreachable item and backs off', async () => {
    const { services, companion, clock } = harness;
    companion.online = false;
    await services.keys.save({ provider: 'openai', label: 'One', apiKey: KEY_A });
    await services.keys.save({ provider: 'groq', label: 'Two', apiKey: KEY_C });
    const report = await services.outbox.drain(true);
    expect(report).toMatchObject({ uploaded: [], failed: [], waiting: 2 });
    const [first, second] = await services.outbox.list();
    expect(first?.attempts).toBe(1);
    expect(second?.attempts).toBe(0);
    expect(first?.lastError?.code).toBe('companion_unreachable');
    expect(first!.nextAttemptAt).toBeGreaterThan(clock.now);
    // Not due yet: an alarm-driven drain leaves it alone.
    companion.online = true;
    expect((await services.outbox.drain()).uploaded).toHaveLength(0);
    clock.now = first!.nextAttemptAt + 1;
    expect((await services.outbox.drain()).uploaded).toHaveLength(2);
  });

  it('uploads nothing while held (a passphrase change re-wraps what waits) and drains after', async () => {
    const { services, companion } = harness;
    companion.online = false;
    await services.keys.save({ provider: 'openai', label: 'Held', apiKey: KEY_A });
    companion.online = true;
    const during = await services.outbox.hold(async () => services.outbox.drain(true));
    expect(during).toEqual({ uploaded: [], failed: [], waiting: 1 });
    expect(companion.requests.filter((request) => request.method === 'PUT')).toHaveLength(0);
    expect((await services.outbox.drain(true)).uploaded).toHaveLength(1);
  });

  it('waits while the vault is locked (a seal can only be checked against the current KEK when unlocked)', async () => {
    const { services, companion } = harness;
    companion.online = false;
    await services.keys.save({ provider: 'openai', label: 'Waits', apiKey: KEY_A });
    await services.vault.lock();
    companion.online = true;
    expect(await services.outbox.drain(true)).toEqual({ uploaded: [], failed: [], waiting: 1 });
    expect(companion.requests.filter((request) => request.method === 'PUT')).toHaveLength(0);
    await services.vault.unlock(PASSPHRASE);
    expect((await services.outbox.drain(true)).uploaded).toHaveLength(1);
  });

  it('does not apply a queued rotation over a change made on another device; Retry applies it anyway', async () => {
    const { services, companion } = harness;
    const { secretId } = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: KEY_A });
    const listed = companion.secrets.get(secretId)!.view.version!;
    companion.online = false;
    expect((await services.keys.save({ secretId, provider: 'openai', label: 'Work', apiKey: ROTATED_1 })).state).toBe('queued');
    expect((await services.outbox.list())[0]).toMatchObject({ kind: 'rotate', ifMatch: listed });
    companion.changeElsewhere(secretId);
    companion.online = true;

    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [], failed: [secretId] });
    const [refused] = await services.outbox.list();
    expect(refused).toMatchObject({ state: 'failed', lastError: { code: 'conflict', message: ROTATION_OVERTAKEN } });
    const puts = () => companion.requests.filter((request) => request.method === 'PUT' && request.path === `/v1/secrets/${secretId}`);
    expect(puts().at(-1)?.ifMatch).toBe(`"${listed}"`);
    // The other device's change stands: the key is still the one stored first.
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('A1A1');

    await services.outbox.retry(refused!.seq!);
    expect((await services.outbox.drain(true)).uploaded).toEqual([secretId]);
    expect(puts().at(-1)?.ifMatch).toBeNull();
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('D4D4');
    await services.keys.refresh();
    await services.keys.verify(secretId);
    expect(companion.opened).toEqual([ROTATED_1]);
  });

  it('uploads two rotations of one key queued here in order, the second replacing what the first made', async () => {
    const { services, companion } = harness;
    const { secretId } = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: KEY_A });
    const listed = companion.secrets.get(secretId)!.view.version!;
    companion.online = false;
    await services.keys.save({ secretId, provider: 'openai', label: 'Work', apiKey: ROTATED_1 });
    await services.keys.save({ secretId, provider: 'openai', label: 'Work', apiKey: ROTATED_2 });
    expect((await services.outbox.list()).map((item) => item.ifMatch)).toEqual([listed, listed]);
    companion.online = true;

    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [secretId, secretId], failed: [] });
    const conditions = companion.requests.filter((request) => request.method === 'PUT').map((request) => request.ifMatch);
    expect(conditions).toHaveLength(3);
    expect(conditions[1]).toBe(`"${listed}"`);
    expect(conditions[2]).not.toBe(conditions[1]);
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('E5E5');
    await services.keys.refresh();
    await services.keys.verify(secretId);
    expect(companion.opened).toEqual([ROTATED_2]);
  });
});
