// Grant key rotation with an injected clock: 24 h lifetime, 10 min grace for the previous pair,
// private halves only in grant-keys.json (mode 0600), reloaded on restart.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRANT_KEY_GRACE_MS, GRANT_KEY_MAX_AGE_MS, GrantKeyService } from './grant-keys';
import { useTempDirs } from '../testing/temp-dirs';

describe('GrantKeyService', () => {
  const dirs = useTempDirs('byok-gk-');

  it('rotates after 24 h and keeps the previous pair for 10 minutes', async () => {
    const dir = dirs.make();
    let now = 1_000_000_000_000;
    const service = await GrantKeyService.open(dir, 'byok-companion:test', () => now);
    const first = service.keySet();
    expect(first.keys).toHaveLength(2);
    const firstKid = first.keys[0]?.kid ?? '';
    expect(service.resolveKey(firstKid)).toBeDefined();
    expect((statSync(join(dir, 'grant-keys.json')).mode & 0o777).toString(8)).toBe('600');

    now += GRANT_KEY_MAX_AGE_MS - 1;
    await service.rotateIfDue();
    expect(service.keySet().keys[0]?.kid).toBe(firstKid);

    now += 1;
    await service.rotateIfDue();
    const second = service.keySet();
    expect(second.keys).toHaveLength(4);
    expect(second.keys[0]?.kid).not.toBe(firstKid);
    expect(second.keys[0]?.crv).toBe('X25519');
    expect(service.resolveKey(firstKid)).toBeDefined();

    now += GRANT_KEY_GRACE_MS;
    expect(service.resolveKey(firstKid)).toBeUndefined();
    expect(service.keySet().keys).toHaveLength(2);

    // A restart reads the same keys back.
    const reopened = await GrantKeyService.open(dir, 'byok-companion:test', () => now);
    expect(reopened.keySet().keys.map((key) => key.kid)).toEqual(service.keySet().keys.map((key) => key.kid));
    expect(readFileSync(join(dir, 'grant-keys.json'), 'utf8')).toContain('"d"');
  });

  it('gives a generation long past its 24 hours no grace when a restart rotates it', async () => {
    const dir = dirs.make();
    let now = 1_000_000_000_000;
    const before = await GrantKeyService.open(dir, 'byok-companion:test', () => now);
    const oldKids = before.keySet().keys.map((key) => key.kid);
    // Stopped for three days, then started again.
    now += 3 * 24 * 3_600_000;
    const after = await GrantKeyService.open(dir, 'byok-companion:test', () => now);
    expect(after.keySet().keys).toHaveLength(2);
    for (const kid of oldKids) expect(after.resolveKey(kid)).toBeUndefined();
  });
});
