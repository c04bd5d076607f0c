// The server's grant encryption keys (CRYPTO.md §3): one X25519 and one P-256 ECDH-ES+A256KW pair
// per generation, private JWKs in <dataDir>/grant-keys.json (mode 0600, never in the database).
// A generation older than 24 h is replaced; the previous one stays usable for 10 more minutes.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { JWK } from 'jose';
import { openGrantWith } from '@byok/shared';
import type { GrantKeyJwk, GrantKeySet, GrantPurpose, OpenedGrant } from '@byok/shared';
import { nodeGrantDecryptor } from '../crypto/grant-jwe';
import { writeFileAtomic } from './data-dir-files';

export const GRANT_KEY_MAX_AGE_MS = 24 * 3_600_000;
export const GRANT_KEY_GRACE_MS = 10 * 60_000;
const FILE = 'grant-keys.json';

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: GrantKeyJwk;
}

interface Generation {
  createdAt: number;
  /** When a newer generation replaced this one; it is accepted until retiredAt + grace. */
  retiredAt: number | null;
  keys: StoredKey[];
}

interface LoadedKey extends StoredKey {
  privateKey: CryptoKey;
}

interface LoadedGeneration extends Omit<Generation, 'keys'> {
  keys: LoadedKey[];
}

async function newKey(crv: 'X25519' | 'P-256'): Promise<StoredKey> {
  const pair = await generateKeyPair('ECDH-ES+A256KW', { crv, extractable: true });
  const privateJwk = await exportJWK(pair.privateKey);
  const publicBase = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicBase);
  const publicJwk: GrantKeyJwk = {
    kty: crv === 'X25519' ? 'OKP' : 'EC',
    crv,
    x: publicBase.x ?? '',
    ...(publicBase.y === undefined ? {} : { y: publicBase.y }),
    kid,
    use: 'enc',
    alg: 'ECDH-ES+A256KW',
  };
  return { kid, privateJwk: { ...privateJwk, kid, alg: 'ECDH-ES+A256KW', use: 'enc' }, publicJwk };
}

async function load(generation: Generation): Promise<LoadedGeneration> {
  const keys: LoadedKey[] = [];
  for (const key of generation.keys) {
    const privateKey = (await importJWK(key.privateJwk, 'ECDH-ES+A256KW')) as CryptoKey;
    keys.push({ ...key, privateKey });
  }
  return { ...generation, keys };
}

export class GrantKeyService {
  private generations: LoadedGeneration[] = [];
  private timer: NodeJS.Timeout | undefined;
  private rotating: Promise<void> | undefined;

  private constructor(
    private readonly dataDir: string,
    readonly audience: string,
    private readonly clock: () => number,
  ) {}

  /**
   * Loads the generations and rotates them if due (a companion starting). `rotateIfDue: false` is
   * for a caller about to rotate anyway (`grant-keys rotate`), which would otherwise rotate twice.
   */
  static async open(dataDir: string, audience: string, clock: () => number = Date.now, options: { rotateIfDue?: boolean } = {}): Promise<GrantKeyService> {
    const service = new GrantKeyService(dataDir, audience, clock);
    const path = join(dataDir, FILE);
    if (existsSync(path)) {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as { generations: Generation[] };
      service.generations = await Promise.all(stored.generations.map(load));
    }
    if (options.rotateIfDue !== false) await service.rotateIfDue();
    return service;
  }

  /** Checks every few minutes whether the keys are due; the timer never keeps the process alive. */
  startTimer(intervalMs = 5 * 60_000): void {
    this.stopTimer();
    this.timer = setInterval(() => void this.rotateIfDue().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async rotateIfDue(): Promise<void> {
    const newest = this.generations[0];
    const now = this.clock();
    if (newest && now - newest.createdAt < GRANT_KEY_MAX_AGE_MS) return;
    await this.rotate();
  }

  /** Makes a new generation now; the current one is retired with its grace period. */
  async rotate(): Promise<void> {
    this.rotating ??= (async () => {
      const now = this.clock();
      const fresh = await load({ createdAt: now, retiredAt: null, keys: [await newKey('X25519'), await newKey('P-256')] });
      // The current generation retires now, or when it fell due if that was earlier (the companion
      // was stopped past it): a key long past its 24 hours gets no fresh grace period.
      const kept = this.generations
        .map((generation) => (generation.retiredAt === null ? { ...generation, retiredAt: Math.min(now, generation.createdAt + GRANT_KEY_MAX_AGE_MS) } : generation))
        .filter((generation) => this.accepting(generation, now));
      const next = [fresh, ...kept];
      writeFileAtomic(
        this.dataDir,
        FILE,
        JSON.stringify({
          generations: next.map((generation) => ({
            createdAt: generation.createdAt,
            retiredAt: generation.retiredAt,
            keys: generation.keys.map(({ kid, privateJwk, publicJwk }) => ({ kid, privateJwk, publicJwk })),
          })),
        }),
      );
      this.generations = next;
    })().finally(() => {
      this.rotating = undefined;
    });
    return this.rotating;
  }

  /** What GET /v1/grant-keys publishes: accepted public keys, newest first. */
  keySet(): GrantKeySet {
    const now = this.clock();
    return {
      audience: this.audience,
      keys: this.generations.filter((generation) => this.accepting(generation, now)).flatMap((generation) => generation.keys.map((key) => ({ ...key.publicJwk }))),
    };
  }

  /**
   * Opens a grant made to one of these keys for `caller`: shared's checks (openGrantWith) around
   * the node:crypto decryption. jti replay and sid liveness stay the caller's database checks.
   */
  openGrant(token: string, caller: { userId: string; purpose: GrantPurpose; now: number }): Promise<OpenedGrant> {
    return openGrantWith(token, { resolveKey: (kid) => this.resolveKey(kid), audience: this.audience, ...caller }, nodeGrantDecryptor);
  }

  /** The private key for a kid published within the last 24 h (+10 min grace), else undefined. */
  resolveKey(kid: string): CryptoKey | undefined {
    const now = this.clock();
    for (const generation of this.generations) {
      if (!this.accepting(generation, now)) continue;
      const key = generation.keys.find((candidate) => candidate.kid === kid);
      if (key) return key.privateKey;
    }
    return undefined;
  }

  private accepting(generation: { createdAt: number; retiredAt: number | null }, now: number): boolean {
    const end = generation.retiredAt === null ? generation.createdAt + GRANT_KEY_MAX_AGE_MS + GRANT_KEY_GRACE_MS : generation.retiredAt + GRANT_KEY_GRACE_MS;
    return now < end;
  }
}
