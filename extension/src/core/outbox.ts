// The outbox: keys sealed while the companion could not be reached wait here (sealed, never in
// the clear) and are uploaded in the order they were saved. A refused upload (4xx) stays with
// the companion's reason so the popup can show it; network failures retry with backoff.
import { browser } from 'wxt/browser';
import type { ByokDb, OutboxItem } from '../db';
import type { ApiClient } from './api-client';
import { ExtensionError, isRetryable, toErrorInfo } from './errors';
import { recordOwnWrite, whatOvertook } from './key-cache';

export const OUTBOX_ALARM = 'byok-outbox';

const BASE_DELAY_MS = 30_000;
const MAX_DELAY_MS = 30 * 60_000;

/** The outbox's code for a rotation refused because the key changed or went elsewhere. */
export const KEY_CHANGED = 'key_changed';
/** Why a queued rotation was not applied, and what Retry and Discard then do. */
export const ROTATION_OVERTAKEN =
  'This key was changed on another device (rotated or edited) after you rotated it here, so this rotation was not applied. Retry to replace that change with the key you saved here, or discard this rotation to keep the key as it is now.';
export const ROTATION_TARGET_REMOVED =
  'This key was removed on another device after you rotated it here, so this rotation was not applied. Retry to store the key you saved here again, or discard it.';

export type NewOutboxItem = Omit<OutboxItem, 'seq' | 'state' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'createdAt'>;

export interface DrainReport {
  uploaded: string[];
  failed: string[];
  waiting: number;
}

export class Outbox {
  private draining: Promise<DrainReport> | null = null;
  private held = 0;

  constructor(
    private readonly db: ByokDb,
    private readonly api: ApiClient,
    private readonly now: () => number = Date.now,
    /**
     * Whether a waiting seal's wrappedDek opens under the current KEK: `false` means it was sealed
     * under a passphrase that has since changed (on another device), `null` that nobody can tell
     * now (locked). Such a key would reach the companion undecryptable, so it is held back. The
     * default (no vault at hand) trusts every seal.
     */
    private readonly opensUnderCurrentKek: (wrappedDek: string) => Promise<boolean | null> = async () => true,
  ) {}

  async add(item: NewOutboxItem): Promise<OutboxItem> {
    const row: OutboxItem = {
      ...item,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: this.now() + BASE_DELAY_MS,
      lastError: null,
      createdAt: new Date(this.now()).toISOString(),
    };
    row.seq = await this.db.outbox.add(row);
    await this.schedule();
    return row;
  }

  list(): Promise<OutboxItem[]> {
    return this.db.outbox.orderBy('seq').toArray();
  }

  /** Upload what is due (everything when `force`), oldest first; one drain at a time. */
  drain(force = false): Promise<DrainReport> {
    this.draining ??= this.run(force).finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /**
   * Run `task` with uploads held (a passphrase change re-wraps what waits here: nothing may be
   * uploaded under the old wrapping meanwhile). A drain already under way finishes first.
   */
  async hold<T>(task: () => Promise<T>): Promise<T> {
    this.held += 1;
    try {
      await this.draining?.catch(() => undefined);
      return await task();
    } finally {
      this.held -= 1;
      // A drain (its alarm, one-shot, spent) may have found uploads held meanwhile: set the alarm
      // again now, once, rather than from each held drain (every second while an item is due).
      if (this.held === 0) await this.schedule().catch(() => undefined);
    }
  }

  private async run(force: boolean): Promise<DrainReport> {
    const report: DrainReport = { uploaded: [], failed: [], waiting: 0 };
    if (this.held > 0) {
      report.waiting = await this.db.outbox.where('state').equals('pending').count();
      return report;
    }
    const items = await this.list();
    let locked = false;
    for (const [index, item] of items.entries()) {
      if (item.state !== 'pending' || item.seq === undefined) continue;
      if (!force && item.nextAttemptAt > this.now()) {
        // Order matters (a rotation after a store): nothing behind a waiting item goes first.
        report.waiting = items.slice(index).filter((rest) => rest.state === 'pending').length;
        break;
      }
      // A keyless entry carries no seal, so there is nothing to check against the KEK.
      const opens = item.sealed ? await this.opensUnderCurrentKek(item.sealed.wrappedDek) : true;
      if (opens === null) {
        // Locked: nobody can tell whether the seal still matches the account's passphrase, so
        // everything waits for the next unlock (which drains the outbox). The alarm looks again no
        // sooner than BASE_DELAY_MS, not every second for as long as the vault stays locked.
        report.waiting = items.slice(index).filter((rest) => rest.state === 'pending').length;
        locked = true;
        break;
      }
      if (!opens) {
        await this.db.outbox.update(item.seq, {
          state: 'failed',
          lastError: {
            code: 'conflict',
            message: 'This key was sealed under a passphrase that has since changed. Discard it and add the key again.',
          },
        });
        report.failed.push(item.secretId);
        continue;
      }
      // As it is now: the key may have been removed meanwhile (which drops its queued rotations),
      // and an upload before it in this drain may have moved its condition on.
      const current = await this.db.outbox.get(item.seq);
      if (current?.state !== 'pending') continue;
      const ifMatch = current.ifMatch;
      try {
        const secret = await this.api.putSecret(
          item.secretId,
          {
            provider: item.provider,
            label: item.label,
            defaultModel: item.defaultModel ?? undefined,
            baseUrl: item.baseUrl || undefined,
            ...(item.hint && item.sealed ? { hint: item.hint, sealed: item.sealed } : {}),
            ...(item.replace ? { replace: true } : {}),
          },
          ifMatch,
        );
        await this.db.transaction('rw', this.db.outbox, this.db.keys, async () => {
          await this.db.outbox.delete(item.seq!);
          // The cache, refused uploads saved before this one, and rotations queued behind it that
          // expected the version it replaced, all follow this upload.
          await recordOwnWrite(this.db, secret, { before: item.seq, replaced: ifMatch });
        });
        report.uploaded.push(item.secretId);
      } catch (error) {
        let failure = error;
        if (ifMatch !== undefined && error instanceof ExtensionError && error.code === 'conflict') {
          try {
            if (await this.refuseOvertaken(item.seq, item.secretId, ifMatch, item.attempts + 1)) {
              report.failed.push(item.secretId);
              continue;
            }
          } catch (listing) {
            // Nobody can tell now what changed: the upload waits and is tried again.
            failure = listing;
          }
        }
        if (isRetryable(failure)) {
          const attempts = item.attempts + 1;
          const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempts - 1));
          await this.db.outbox.update(item.seq, { attempts, nextAttemptAt: this.now() + delay, lastError: toErrorInfoShort(failure) });
          report.waiting = items.slice(index).filter((rest) => rest.state === 'pending').length;
          break;
        }
        await this.db.outbox.update(item.seq, { state: 'failed', attempts: item.attempts + 1, lastError: toErrorInfoShort(failure) });
        report.failed.push(item.secretId);
      }
    }
    await this.schedule(locked ? this.now() + BASE_DELAY_MS : undefined);
    return report;
  }

  /**
   * A conditional upload answered 409: for a key changed or removed elsewhere (whatOvertook) the
   * item is refused with KEY_CHANGED, its condition moved to the version the list now shows (none
   * when removed), so that Retry replaces exactly what the user was told about, and a further
   * change refuses it again. Returns false for another conflict (the caller records the
   * companion's own reason); throws when the list cannot be had.
   */
  private async refuseOvertaken(seq: number, secretId: string, ifMatch: number, attempts: number): Promise<boolean> {
    const overtaken = await whatOvertook(this.db, this.api, secretId, ifMatch);
    if (overtaken === null) return false;
    await this.db.outbox.update(seq, {
      state: 'failed',
      attempts,
      ifMatch: overtaken.now?.version,
      lastError: { code: KEY_CHANGED, message: overtaken.now === undefined ? ROTATION_TARGET_REMOVED : ROTATION_OVERTAKEN },
    });
    return true;
  }

  /** Put a failed item back in line (after the user changed what made it fail, or chose to go on). */
  async retry(seq: number): Promise<void> {
    await this.db.outbox.update(seq, { state: 'pending', nextAttemptAt: 0, lastError: null });
    await this.schedule();
  }

  async discard(seq: number): Promise<void> {
    await this.db.outbox.delete(seq);
    await this.schedule();
  }

  /**
   * One alarm at the earliest due time of a pending item (alarms survive worker restarts), at least
   * 1 s from now, and not before `notBefore` when given.
   */
  private async schedule(notBefore?: number): Promise<void> {
    const pending = await this.db.outbox.where('state').equals('pending').toArray();
    if (pending.length === 0) {
      await browser.alarms.clear(OUTBOX_ALARM);
      return;
    }
    const when = Math.max(notBefore ?? 0, this.now() + 1_000, Math.min(...pending.map((item) => item.nextAttemptAt)));
    await browser.alarms.create(OUTBOX_ALARM, { when });
  }
}

function toErrorInfoShort(error: unknown): { code: string; message: string } {
  const info = error instanceof ExtensionError ? error.toInfo() : toErrorInfo(error);
  return { code: info.code, message: info.message };
}
