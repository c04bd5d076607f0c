// kill -9 of a real companion process at random moments during a mixed load of key writes,
// rotations and enrichments, then a restart on the same data directory; `rounds` times. After
// each crash, straight from the SQLite file: every key the server acknowledged is stored whole and
// opens with its owner's KEK to the last acknowledged key (or to a rotation that was in flight at
// the kill, never a mix), every stored row opens, every acknowledged enrichment has its usage row,
// the audit chain verifies. After each restart: no grant of an acknowledged enrichment is accepted
// again, and acknowledged keys still work through the server. Used by the fast suite (2 rounds)
// and the stress suite (20 rounds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditService } from '../../server/src/services/audit';
import { TestClient, type TestUser } from '../../server/src/testing/client';
import { openDatabase } from '../../server/src/store/db';
import { startEmulator } from '../emulator';
import { LeakCanary, filesBelow } from '../support/leak-canary';
import { openStored, storedSecrets } from '../support/sealed-rows';
import { spawnServer, type SpawnedServer } from '../support/spawned-server';

export interface KillRoundsReport {
  rounds: number;
  acknowledgedWrites: number;
  acknowledgedEnrichments: number;
  unknownAtKill: number;
  replaysRefused: number;
}

interface KeyState {
  owner: TestUser;
  /** Plaintexts by ciphertext of every seal sent for this id since the last check. */
  candidates: Map<string, string>;
  /**
   * The highest version the server acknowledged and the seal it acknowledged with it. Rotations
   * of one key run concurrently, so acknowledgements can arrive out of commit order: versions,
   * which the server assigns at commit, say which seal is the newest.
   */
  acknowledgedVersion: number;
  acknowledgedCt: string | null;
}

const TEXT = 'Ada Lovelace wrote the first program. She worked with Charles Babbage in London.';

function fail(message: string): never {
  throw new Error(`kill -9 rounds: ${message}`);
}

export async function runKillRounds(options: { rounds: number; minKillMs: number; maxKillMs: number; workers: number; log?: (line: string) => void }): Promise<KillRoundsReport> {
  const emulator = await startEmulator();
  const canary = new LeakCanary();
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-kill-'));
  const env = { BYOK_DATA_DIR: dataDir, BYOK_PROVIDER_BASE_URLS: JSON.stringify(emulator.urls), BYOK_PROVIDER_TIMEOUT_MS: '5000', BYOK_RATE_LIMITS: 'off', BYOK_OPEN_SIGNUP: 'true' };
  const keys = new Map<string, KeyState>();
  const acknowledgedRequests: string[] = [];
  const usedGrants: Array<{ user: TestUser; grant: string }> = [];
  const report: KillRoundsReport = { rounds: 0, acknowledgedWrites: 0, acknowledgedEnrichments: 0, unknownAtKill: 0, replaysRefused: 0 };
  const outputs: string[] = [];
  let server: SpawnedServer | undefined;

  try {
    server = await spawnServer(env);
    let client = new TestClient(server.url);
    const users = [await client.register(), await client.register()];
    for (const user of users) canary.watch(user.accessToken);
    const orgId = users[0]?.orgId ?? fail('no org');

    const putKey = async (user: TestUser, secretId?: string): Promise<'ok' | 'refused' | 'unknown'> => {
      const key = canary.key('openai');
      emulator.addKey('openai', key);
      const sealed = await client.seal(user, { provider: 'openai', apiKey: key, ...(secretId === undefined ? {} : { secretId }) });
      const state = keys.get(sealed.secretId) ?? { owner: user, candidates: new Map<string, string>(), acknowledgedVersion: 0, acknowledgedCt: null };
      // Recorded before sending: if the kill lands mid-request, this seal may or may not be stored.
      state.candidates.set(sealed.sealed.ct, key);
      keys.set(sealed.secretId, state);
      try {
        const response = await client.request<{ secret?: { version: number } }>('PUT', `/v1/secrets/${sealed.secretId}`, {
          token: user.accessToken,
          body: { provider: 'openai', label: 'kill test', hint: sealed.hint, sealed: sealed.sealed },
        });
        if (response.status !== 200 && response.status !== 201) return 'refused';
        // Acknowledged: from now on only this seal (or a newer one) may be stored.
        const version = response.body.secret?.version ?? fail('a PUT answer without a version');
        if (version > state.acknowledgedVersion) {
          state.acknowledgedVersion = version;
          state.acknowledgedCt = sealed.sealed.ct;
        }
        report.acknowledgedWrites++;
        return 'ok';
      } catch {
        return 'unknown';
      }
    };

    const enrichOnce = async (user: TestUser): Promise<'ok' | 'refused' | 'unknown'> => {
      const mine = [...keys.entries()].filter(([, state]) => state.owner === user && state.acknowledgedVersion > 0);
      const [secretId] = mine[Math.floor(Math.random() * mine.length)] ?? [];
      if (secretId === undefined) return 'refused';
      try {
        const grant = await client.grant(user, secretId);
        const response = await client.request<{ requestId: string }>('POST', '/v1/enrich', {
          token: user.accessToken,
          body: { task: 'summary', provider: 'openai', input: { kind: 'selection', text: TEXT }, grants: [grant] },
        });
        if (response.status !== 200) return 'refused';
        acknowledgedRequests.push(response.body.requestId);
        usedGrants.push({ user, grant });
        report.acknowledgedEnrichments++;
        return 'ok';
      } catch {
        return 'unknown';
      }
    };

    for (const user of users) for (let i = 0; i < 2; i++) if ((await putKey(user)) !== 'ok') fail('seeding keys failed');

    for (let round = 0; round < options.rounds; round++) {
      let stop = false;
      const worker = async (index: number): Promise<void> => {
        const user = users[index % users.length] ?? fail('no user');
        while (!stop) {
          const dice = Math.random();
          const mine = [...keys.entries()].filter(([, state]) => state.owner === user).map(([id]) => id);
          const outcome = dice < 0.25 ? await putKey(user) : dice < 0.5 ? await putKey(user, mine[Math.floor(Math.random() * mine.length)]) : await enrichOnce(user);
          if (outcome === 'unknown') {
            report.unknownAtKill++;
            return;
          }
        }
      };
      const running = Array.from({ length: options.workers }, (_, index) => worker(index));
      const delay = options.minKillMs + Math.random() * (options.maxKillMs - options.minKillMs);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await server.kill9();
      // After the kill: every line the process wrote before it died.
      outputs.push(...server.output);
      stop = true;
      await Promise.all(running);

      verifyDataDir(dataDir, orgId, keys, acknowledgedRequests);
      await verifyKeysOpen(dataDir, keys);

      server = await spawnServer(env);
      client = new TestClient(server.url);
      // Grants of acknowledged enrichments (a few per round): never accepted again after a restart.
      for (const { user, grant } of usedGrants.splice(0, usedGrants.length).slice(-3)) {
        const replay = await client.request<{ error?: { code: string } }>('POST', '/v1/enrich', {
          token: user.accessToken,
          body: { task: 'summary', provider: 'openai', input: { kind: 'selection', text: TEXT }, grants: [grant] },
        });
        if (replay.status !== 409 || replay.body.error?.code !== 'grant_replayed') fail(`a used grant answered ${replay.status} after restart`);
        report.replaysRefused++;
      }
      // And the keys still work through the server.
      if ((await enrichOnce(users[round % users.length] ?? fail('no user'))) !== 'ok') fail('an enrichment after restart failed');
      report.rounds++;
      options.log?.(`round ${round + 1}: killed after ${delay.toFixed(0)} ms; ${report.acknowledgedWrites} writes, ${report.acknowledgedEnrichments} enrichments acknowledged so far`);
    }
    await server.stop();
    // After the exit: the request log is flushed on the way out.
    outputs.push(...server.output);
    server = undefined;
    canary.assertClean([{ name: 'server output', content: outputs.join('\n') }, ...(await filesBelow(dataDir))]);
    return report;
  } finally {
    if (server) await server.kill9().catch(() => undefined);
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Straight from the file after the crash: rows of acknowledged keys, usage rows, the audit chain. */
function verifyDataDir(dataDir: string, orgId: string, keys: Map<string, KeyState>, acknowledgedRequests: string[]): void {
  const db = openDatabase(dataDir);
  try {
    if (db.pragma('integrity_check', { simple: true }) !== 'ok') fail('integrity_check failed');
    const rows = new Map(storedSecrets(db).map((row) => [row.id, row]));
    for (const [id, state] of keys) {
      const row = rows.get(id);
      if (state.acknowledgedCt !== null && !row) fail('an acknowledged key is missing');
      if (!row) continue;
      if (!state.candidates.has(row.sealed.ct)) fail('a stored key is none of the seals sent for it');
      if (row.version < state.acknowledgedVersion) fail('a stored key is older than one the server acknowledged');
      if (row.version === state.acknowledgedVersion && row.sealed.ct !== state.acknowledgedCt) fail('a stored key is not the seal acknowledged for its version');
    }
    const countUsage = db.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE request_id = ? AND outcome = 'ok'");
    for (const requestId of acknowledgedRequests) {
      if ((countUsage.get(requestId) as { n: number }).n !== 1) fail('an acknowledged enrichment has no (or more than one) usage row');
    }
    const chain = new AuditService(db).verifyChain(orgId);
    if (!chain.ok) fail('the audit chain does not verify');
  } finally {
    db.close();
  }
}

/** Every stored row opens with its owner's KEK to the plaintext sealed into that exact ciphertext. */
async function verifyKeysOpen(dataDir: string, keys: Map<string, KeyState>): Promise<void> {
  const db = openDatabase(dataDir);
  try {
    for (const row of storedSecrets(db)) {
      const state = keys.get(row.id) ?? fail('a stored key nobody sent');
      const plaintext = await openStored(row, state.owner.kek).catch(() => fail('a stored key does not open (half-written?)'));
      if (plaintext !== state.candidates.get(row.sealed.ct)) fail('a stored key opens to the wrong plaintext');
      // What was stored at the crash is what must survive from now on.
      state.acknowledgedCt = row.sealed.ct;
      state.acknowledgedVersion = row.version;
      for (const ct of [...state.candidates.keys()]) if (ct !== row.sealed.ct) state.candidates.delete(ct);
    }
  } finally {
    db.close();
  }
}
