// The session's tokens through a refresh: a companion that refuses the refresh token ends the
// session, and queued keys wait for the next sign-in; a companion that is busy or failing (429,
// 5xx) keeps the session for the next try.
import { beforeEach, describe, expect, it } from 'vitest';
import { PASSPHRASE, type Harness, createSignedInHarness } from '../testing/harness';
import { isRetryable } from './errors';

const GROQ = `gsk_${'r'.repeat(30)}Rf5h`;

describe('token refresh', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await createSignedInHarness();
  });

  /** The access token runs out; the refresh token is still good. */
  const expireAccessToken = (): void => {
    harness.tokens.value = { ...harness.tokens.value!, accessToken: 'expired' };
  };

  it('keeps the session when the companion fails the refresh, and refreshes once it is back', async () => {
    const { services, companion, tokens } = harness;
    expireAccessToken();
    const before = tokens.value;
    for (const status of [503, 429]) {
      companion.refreshFailure = status;
      const failed = await services.api.listSecrets().catch((error: unknown) => error);
      expect(failed).toMatchObject({ status });
      expect(isRetryable(failed)).toBe(true);
      expect(tokens.value).toEqual(before);
    }
    companion.refreshFailure = null;
    await expect(services.api.listSecrets()).resolves.toBeDefined();
    expect(tokens.value?.refreshToken).not.toBe(before?.refreshToken);
  });

  it('ends the session when the refresh token is refused, and a queued key waits for the next sign-in', async () => {
    const { services, companion, tokens } = harness;
    companion.online = false;
    expect((await services.keys.save({ provider: 'groq', label: 'Queued', apiKey: GROQ })).state).toBe('queued');
    companion.online = true;
    // Revoked elsewhere (a passphrase change on another device, a sign-out everywhere).
    tokens.value = { accessToken: 'expired', refreshToken: 'rt-revoked' };

    const report = await services.outbox.drain(true);
    expect(report.uploaded).toHaveLength(0);
    expect(tokens.value).toBeNull();
    const [waiting] = await services.outbox.list();
    expect(waiting).toMatchObject({ state: 'pending', label: 'Queued' });
    await expect(services.api.listSecrets()).rejects.toMatchObject({ code: 'signed_out' });

    // Lock and unlock signs in again; the key goes up.
    await services.vault.lock();
    await services.vault.unlock(PASSPHRASE);
    expect((await services.outbox.drain(true)).uploaded).toHaveLength(1);
    expect(await services.outbox.list()).toEqual([]);
  });
});
