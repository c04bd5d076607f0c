// Long-lived server identity kept in the data directory (mode 0600): the server id (grant
// audience), the pre-login secret (decoy KDF salts) and the Ed25519 key that signs access tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey as JoseKey, JWK } from 'jose';
import { readOrCreateFile } from './data-dir-files';

export interface ServerIdentity {
  serverId: string;
  audience: string;
  preloginSecret: Uint8Array;
  signingKey: { privateKey: JoseKey; publicKey: JoseKey; kid: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function loadServerIdentity(dataDir: string): Promise<ServerIdentity> {
  const serverId = readOrCreateFile(dataDir, 'server-id', () => randomUUID()).trim();
  if (!UUID.test(serverId)) throw new Error('server-id in the data directory is not a UUID');
  const secretText = readOrCreateFile(dataDir, 'server-secret', () => randomBytes(32).toString('base64url')).trim();
  const preloginSecret = new Uint8Array(Buffer.from(secretText, 'base64url'));
  if (preloginSecret.length < 32) throw new Error('server-secret in the data directory is too short');

  // Generating is cheap, so make a candidate and keep whichever file wins (ours or an existing one).
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const candidate = JSON.stringify({ ...(await exportJWK(pair.privateKey)), kid: randomUUID() });
  const privateJwk = JSON.parse(readOrCreateFile(dataDir, 'signing-key.json', () => candidate)) as JWK;
  const { d: _d, ...publicJwk } = privateJwk;
  const privateKey = (await importJWK(privateJwk, 'EdDSA')) as JoseKey;
  const publicKey = (await importJWK(publicJwk, 'EdDSA')) as JoseKey;
  return {
    serverId,
    audience: `byok-companion:${serverId}`,
    preloginSecret,
    signingKey: { privateKey, publicKey, kid: privateJwk.kid ?? 'signing' },
  };
}
