// Fuzzing grant and sealed-blob parsing directly (shared's openGrant and isSealedBlob), without
// HTTP in between: mutated, truncated and re-segmented grants, and grants correctly encrypted to
// the server's key but carrying hostile headers and claims. openGrant either opens a grant whose
// claims are all valid or throws AppError grant_invalid / grant_expired; nothing else escapes.
// isSealedBlob never throws and agrees with the wire schema on every input.
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, SealedBlobSchema, createGrant, isSealedBlob, openGrant } from '@byok/shared';
import type { GrantKeySet } from '@byok/shared';
import fc from 'fast-check';
import { CompactEncrypt, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { compactTokenMutation } from '../../server/src/testing/token-mutations';

const AUDIENCE = 'byok-companion:fuzz';
const USER = randomUUID();
const SECRET = randomUUID();
const KID = 'k1';

let privateKey: CryptoKey;
let publicKey: CryptoKey;
let keySet: GrantKeySet;
let validGrant: string;

beforeAll(async () => {
  const pair = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true });
  privateKey = pair.privateKey;
  publicKey = pair.publicKey;
  const jwk = await exportJWK(publicKey);
  keySet = { audience: AUDIENCE, keys: [{ kty: 'OKP', crv: 'X25519', x: jwk.x ?? '', kid: KID, use: 'enc', alg: 'ECDH-ES+A256KW' }] };
  validGrant = await createGrant({ keySet, userId: USER, secretId: SECRET, dek: new Uint8Array(randomBytes(32)), purpose: 'enrich' });
});

const open = (token: string) =>
  openGrant(token, { resolveKey: (kid) => (kid === KID ? privateKey : undefined), audience: AUDIENCE, userId: USER, purpose: 'enrich' });

/** Resolves to 'opened' or the AppError code; any other failure rejects (and fails the property). */
async function outcome(token: string): Promise<string> {
  try {
    await open(token);
    return 'opened';
  } catch (error) {
    if (error instanceof AppError && (error.code === 'grant_invalid' || error.code === 'grant_expired')) {
      expect(error.message).toBe(error.code === 'grant_invalid' ? 'The grant is invalid.' : error.message);
      return error.code;
    }
    throw error;
  }
}

describe('openGrant under fuzzing', () => {
  it('opens the untouched grant (the baseline the mutations start from)', async () => {
    expect(await outcome(validGrant)).toBe('opened');
  });

  it('refuses every character flip, truncation, extension and re-segmentation of a real grant', async () => {
    const mutation = compactTokenMutation();
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        const token = mutate(validGrant);
        const result = await outcome(token);
        if (token !== validGrant) expect(result).not.toBe('opened');
      }),
      { numRuns: 400 },
    );
  });

  it('refuses arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.base64String(), { minLength: 5, maxLength: 5 }).map((parts) => parts.join('.'))), async (token) => {
        expect(await outcome(token)).not.toBe('opened');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses correctly encrypted grants with hostile headers or claims unless every claim is valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const goodClaims = { sub: USER, aud: AUDIENCE, sid: SECRET, dek: randomBytes(32).toString('base64url'), jti: randomBytes(16).toString('base64url'), iat: now, exp: now + 120, pur: 'enrich' };
    const hostileClaim = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, '', now + 10_000, now - 10_000, -1, 1e308, 'enrich', 'verify', 'org-secret-upload', USER.toUpperCase(), randomUUID(), [AUDIENCE], 'x'.repeat(5_000)),
    );
    const claimName = fc.constantFrom('sub', 'aud', 'sid', 'dek', 'jti', 'iat', 'exp', 'pur', 'key', 'extra', '__proto__');
    const headerExtra = fc.oneof(
      fc.constant({}),
      fc.constantFrom<Record<string, unknown>>({ typ: 'JWT' }, { kid: 'other' }, { zip: 'DEF' }, { crit: ['exp'] }, { typ: undefined }, { kid: 123 }, { cty: 'JWT' }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(claimName, fc.option(hostileClaim)), { maxLength: 3 }), headerExtra, async (changes, header) => {
        const claims: Record<string, unknown> = { ...goodClaims, jti: randomBytes(16).toString('base64url') };
        for (const [name, value] of changes) {
          if (value === null) delete claims[name];
          else claims[name] = value;
        }
        let token: string;
        try {
          token = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims)))
            .setProtectedHeader(JSON.parse(JSON.stringify({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', typ: 'byok-grant+jwt', kid: KID, ...header })) as { alg: string; enc: string })
            .encrypt(publicKey);
        } catch {
          // jose itself refuses to build some of these (an unknown `crit`): nothing to send.
          return;
        }
        const result = await outcome(token);
        const untouched = changes.length === 0 && Object.keys(header).length === 0;
        if (untouched) expect(result).toBe('opened');
        if (result === 'opened') {
          // Whatever opened must be a valid grant for this user and purpose, naming a secret by a
          // canonical id. Whether that secret is a live key of the user is the server's database
          // check (server/src/services/grants.test.ts), not openGrant's.
          const opened = await open(token);
          expect(opened).toMatchObject({ sub: USER, aud: AUDIENCE, pur: 'enrich' });
          expect(opened.sid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
          expect(opened.dek?.length).toBe(32);
          expect(opened.exp - opened.iat).toBeLessThanOrEqual(300);
        }
      }),
      { numRuns: 250 },
    );
  });
});

describe('isSealedBlob under fuzzing', () => {
  const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
  const valid = () => ({ v: 1, iv: b64(12), ct: b64(40), wrappedDek: b64(40) });

  it('never throws and agrees with the wire schema on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3, withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true }), (value) => {
        const verdict = isSealedBlob(value);
        expect(typeof verdict).toBe('boolean');
        expect(verdict).toBe(SealedBlobSchema.safeParse(value).success);
      }),
      { numRuns: 1_000 },
    );
  });

  it('agrees with the wire schema on mutations of a real blob (lengths, padding, alphabet, types)', () => {
    const fieldValue = fc.oneof(
      fc.integer({ min: 0, max: 64 }).map((n) => b64(n)),
      fc.integer({ min: 0, max: 64 }).map((n) => randomBytes(n).toString('base64')),
      fc.string({ maxLength: 60 }),
      fc.constantFrom<unknown>(1, '1', 2, null, [], {}, true, `${b64(12)}=`, `${b64(12)} `, ` ${b64(40)}`, b64(40).toUpperCase()),
    );
    fc.assert(
      fc.property(fc.constantFrom('v', 'iv', 'ct', 'wrappedDek', 'extra'), fc.option(fieldValue), (field, value) => {
        const blob: Record<string, unknown> = valid();
        if (value === null) delete blob[field];
        else blob[field] = value;
        expect(isSealedBlob(blob)).toBe(SealedBlobSchema.safeParse(blob).success);
      }),
      { numRuns: 1_000 },
    );
  });
});
