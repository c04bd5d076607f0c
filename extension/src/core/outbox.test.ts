// Outbox: keys saved while the companion is unreachable wait sealed, upload in order when it is
// back (also after a worker/browser restart), and refused uploads keep their reason.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import { KEY_CHANGED, OUTBOX_ALARM, ROTATION_OVERTAKEN, ROTATION_TARGET_REMOVED } from './outbox';
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
    // The alarm fires during the hold (and, being one-shot, is gone): the drain it starts uploads
    // nothing and sets no alarm (which would fire every second while the item is due); the end of
    // the hold sets it again.
    await fakeBrowser.alarms.clear(OUTBOX_ALARM);
    const during = await services.outbox.hold(async () => {
      const report = await services.outbox.drain(true);
      expect(await fakeBrowser.alarms.get(OUTBOX_ALARM)).toBeUndefined();
      return report;
    });
    expect(during).toEqual({ uploaded: [], failed: [], waiting: 1 });
    expect(companion.requests.filter((request) => request.method === 'PUT')).toHaveLength(0);
    expect(await fakeBrowser.alarms.get(OUTBOX_ALARM)).toBeDefined();
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
    // The item is due, but while locked the alarm looks again only after the base delay.
    const [waiting] = await services.outbox.list();
    harness.clock.now = waiting!.nextAttemptAt + 5_000;
    expect(await services.outbox.drain()).toMatchObject({ uploaded: [], waiting: 1 });
    expect((await fakeBrowser.alarms.get(OUTBOX_ALARM))?.scheduledTime).toBe(harness.clock.now + 30_000);
    await services.vault.unlock(PASSPHRASE);
    expect((await services.outbox.drain(true)).uploaded).toHaveLength(1);
  });

  /** The If-Match of every PUT of `secretId`, in order (null: none). */
  const conditionsOf = (secretId: string) =>
    harness.companion.requests.filter((request) => request.method === 'PUT' && request.path === `/v1/secrets/${secretId}`).map((request) => request.ifMatch);
  const versionOf = (secretId: string) => harness.companion.secrets.get(secretId)!.view.version!;
  /**
   * Stores KEY_A online, then saves `rotations` of it while the companion is away (each queued).
   * Leaves the companion offline; `listed` is the version the rotations were saved against.
   */
  const rotatedOffline = async (...rotations: string[]) => {
    const { services, companion } = harness;
    const { secretId } = await services.keys.save({ provider: 'openai', label: 'Work', apiKey: KEY_A });
    const listed = versionOf(secretId);
    companion.online = false;
    for (const apiKey of rotations) expect((await services.keys.save({ secretId, provider: 'openai', label: 'Work', apiKey })).state).toBe('queued');
    return { secretId, listed };
  };

  it('does not apply a queued rotation over a change made on another device; Retry replaces exactly that change', async () => {
    const { services, companion } = harness;
    const { secretId, listed } = await rotatedOffline(ROTATED_1);
    expect((await services.outbox.list())[0]).toMatchObject({ kind: 'rotate', ifMatch: listed });
    companion.changeElsewhere(secretId);
    const changed = versionOf(secretId);
    companion.online = true;

    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [], failed: [secretId] });
    expect(conditionsOf(secretId).at(-1)).toBe(`"${listed}"`);
    // The other device's change stands, and this device now lists the key as it is.
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('A1A1');
    expect(await services.db.keys.get(secretId)).toMatchObject({ version: changed, label: companion.secrets.get(secretId)!.view.label });
    const [refused] = await services.outbox.list();
    expect(refused).toMatchObject({ state: 'failed', ifMatch: changed, lastError: { code: KEY_CHANGED, message: ROTATION_OVERTAKEN } });

    // Retry replaces the change the user was told about, and only that one.
    await services.outbox.retry(refused!.seq!);
    expect((await services.outbox.drain(true)).uploaded).toEqual([secretId]);
    expect(conditionsOf(secretId).at(-1)).toBe(`"${changed}"`);
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('D4D4');
    expect((await services.db.keys.get(secretId))?.version).toBe(versionOf(secretId));
    await services.keys.verify(secretId);
    expect(companion.opened).toEqual([ROTATED_1]);
  });

  it('a Retry is refused again when the key changed once more after the refusal was shown', async () => {
    const { services, companion } = harness;
    const { secretId } = await rotatedOffline(ROTATED_1);
    companion.changeElsewhere(secretId);
    companion.online = true;
    await services.outbox.drain(true);
    const [refused] = await services.outbox.list();
    companion.changeElsewhere(secretId);
    await services.outbox.retry(refused!.seq!);
    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [], failed: [secretId] });
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('A1A1');
    expect((await services.outbox.list())[0]).toMatchObject({ state: 'failed', ifMatch: versionOf(secretId), lastError: { code: KEY_CHANGED } });
  });

  it('a queued rotation of a key removed on another device is refused; Retry stores it again', async () => {
    const { services, companion } = harness;
    const { secretId } = await rotatedOffline(ROTATED_1);
    companion.secrets.delete(secretId);
    companion.online = true;
    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [], failed: [secretId] });
    const [refused] = await services.outbox.list();
    expect(refused).toMatchObject({ state: 'failed', lastError: { code: KEY_CHANGED, message: ROTATION_TARGET_REMOVED } });
    expect(refused!.ifMatch).toBeUndefined();
    expect(await services.db.keys.get(secretId)).toBeUndefined();
    await services.outbox.retry(refused!.seq!);
    expect((await services.outbox.drain(true)).uploaded).toEqual([secretId]);
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('D4D4');
  });

  it('uploads two rotations of one key queued here in order, the second expecting the version the first made', async () => {
    const { services, companion } = harness;
    const { secretId, listed } = await rotatedOffline(ROTATED_1, ROTATED_2);
    expect((await services.outbox.list()).map((item) => item.ifMatch)).toEqual([listed, listed]);
    companion.online = true;
    const made: number[] = [];
    companion.beforeSecretPut = (id) => {
      if (id === secretId) made.push(versionOf(secretId));
    };

    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [secretId, secretId], failed: [] });
    // Each went up on the version the one before it made.
    expect(conditionsOf(secretId).slice(1)).toEqual(made.map((version) => `"${version}"`));
    expect(made[0]).toBe(listed);
    expect(made[1]).not.toBe(listed);
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('E5E5');
    await services.keys.refresh();
    await services.keys.verify(secretId);
    expect(companion.opened).toEqual([ROTATED_2]);
  });

  it('refuses the second of two queued rotations when another device changes the key between their uploads', async () => {
    const { services, companion } = harness;
    const { secretId } = await rotatedOffline(ROTATED_1, ROTATED_2);
    companion.online = true;
    let puts = 0;
    companion.beforeSecretPut = (id) => {
      if (id === secretId && ++puts === 2) companion.changeElsewhere(secretId);
    };
    expect(await services.outbox.drain(true)).toMatchObject({ uploaded: [secretId], failed: [secretId] });
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('D4D4');
    expect((await services.outbox.list())[0]).toMatchObject({ state: 'failed', lastError: { code: KEY_CHANGED, message: ROTATION_OVERTAKEN } });
  });

  it("keeps the version its own upload made, so this device's next rotation is not taken for a change elsewhere", async () => {
    const { services, companion } = harness;
    const { secretId } = await rotatedOffline(ROTATED_1);
    companion.online = true;
    // A drain on its own (the alarm's path lists nothing after it).
    expect((await services.outbox.drain(true)).uploaded).toEqual([secretId]);
    expect((await services.db.keys.get(secretId))?.version).toBe(versionOf(secretId));
    expect((await services.keys.save({ secretId, provider: 'openai', label: 'Work', apiKey: ROTATED_2 })).state).toBe('stored');
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('E5E5');
  });

  it('drops a refused rotation once a newer one of the same key is stored, so Retry cannot bring the older key back', async () => {
    const { services, companion } = harness;
    const { secretId } = await rotatedOffline(ROTATED_1);
    companion.online = true;
    companion.refuseNextPut = { status: 403, code: 'policy_denied', message: 'Not now.' };
    expect((await services.outbox.drain(true)).failed).toEqual([secretId]);
    expect(await services.outbox.list()).toHaveLength(1);
    expect((await services.keys.save({ secretId, provider: 'openai', label: 'Work', apiKey: ROTATED_2 })).state).toBe('stored');
    expect(await services.outbox.list()).toEqual([]);
    expect(companion.secrets.get(secretId)!.view.hint.last4).toBe('E5E5');
  });

  it('removing a key waits for an upload of it under way, which then cannot bring it back', async () => {
    const { services, companion } = harness;
    const { secretId } = await rotatedOffline(ROTATED_1);
    companion.online = true;
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const putReached = new Promise<void>((resolve) => (reached = resolve));
    companion.beforeSecretPut = async () => {
      reached();
      await stalled;
    };
    const draining = services.outbox.drain(true);
    await putReached;
    const removing = services.keys.remove(secretId);
    // Give a DELETE that does not wait for the upload the time to reach the companion first.
    const deadline = Date.now() + 200;
    while (!companion.requests.some((request) => request.method === 'DELETE') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    await Promise.all([draining, removing]);
    expect(companion.secrets.has(secretId)).toBe(false);
    expect(await services.db.keys.get(secretId)).toBeUndefined();
    expect(await services.outbox.list()).toEqual([]);
    expect(companion.requests.map((request) => request.method).slice(-2)).toEqual(['PUT', 'DELETE']);
  });
});
