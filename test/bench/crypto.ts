// Crypto throughput: sealing a key (client side) and opening a grant (server side, per request),
// the latter both with shared's portable opener (jose over WebCrypto) and with the server's
// node:crypto decryptor, which is what the companion runs.
import { generateKeyPair, exportJWK } from 'jose';
import { createGrant, importKek, openGrant, openGrantWith, sealApiKey, secretAad, type GrantKeyJwk } from '@byok/shared';
import { nodeGrantDecryptor } from '../../server/src/crypto/grant-jwe';
import { randomBytes } from '@byok/shared/crypto/bytes';
import { opsPerSecond, type BenchResult } from './types';

export async function runCryptoBench(): Promise<BenchResult> {
  const kek = await importKek(randomBytes(32));
  const ids = { userId: crypto.randomUUID(), secretId: crypto.randomUUID(), provider: 'openai', baseUrl: '' };
  const aad = secretAad(ids);
  const seal = await opsPerSecond(() => sealApiKey({ apiKey: 'sk-bench0000000000000000000000000000', kek, aad }));

  const pair = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const jwk = { ...publicJwk, kid: 'bench', use: 'enc', alg: 'ECDH-ES+A256KW' } as GrantKeyJwk;
  const keySet = { audience: 'byok-companion:bench', keys: [jwk] };
  const dek = randomBytes(32);
  const grants = await Promise.all(
    Array.from({ length: 256 }, () => createGrant({ keySet, userId: ids.userId, secretId: ids.secretId, dek, purpose: 'enrich' })),
  );
  let next = 0;
  const openOptions = { resolveKey: () => pair.privateKey as CryptoKey, audience: keySet.audience, userId: ids.userId, purpose: 'enrich' as const };
  const open = await opsPerSecond(() => openGrant(grants[next++ % grants.length] ?? '', openOptions));
  const openNode = await opsPerSecond(() => openGrantWith(grants[next++ % grants.length] ?? '', openOptions, nodeGrantDecryptor));
  const create = await opsPerSecond(() => createGrant({ keySet, userId: ids.userId, secretId: ids.secretId, dek, purpose: 'enrich' }));
  return {
    name: 'crypto',
    rows: [
      { metric: 'seal a key (AES-256-GCM + AES-KW)', value: Math.round(seal), unit: 'ops/s' },
      { metric: 'create a grant (X25519 JWE)', value: Math.round(create), unit: 'ops/s' },
      { metric: 'open a grant (X25519 JWE, all checks), jose over WebCrypto', value: Math.round(open), unit: 'ops/s', note: 'the portable opener of @byok/shared' },
      { metric: 'open a grant (X25519 JWE, all checks), node:crypto', value: Math.round(openNode), unit: 'ops/s', note: 'what the companion runs' },
    ],
  };
}
