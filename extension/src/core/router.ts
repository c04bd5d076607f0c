// The background's message router: one handler per typed message (messages.ts), each a thin
// call into a core service. Every message counts as activity for auto-lock.
import { normalizeBaseUrl } from '@byok/shared';
import { ExtensionError, isRetryable, toErrorInfo } from './errors';
import type { MessageMap, MessageType, Reply, RequestMessage, StatusView } from './messages';
import type { Services } from './services';

type Handlers = { [T in MessageType]: (payload: MessageMap[T]['payload']) => Promise<MessageMap[T]['result']> };

export function createRouter(services: Services): (message: RequestMessage) => Promise<Reply<unknown>> {
  const { vault, keys, outbox, usage, settings, enrichment, db, admin, api } = services;

  const status = async (): Promise<StatusView> => ({
    state: await vault.state(),
    account: await settings.get('account'),
    companionUrl: await settings.get('companionUrl'),
    autoLockMinutes: await settings.get('autoLockMinutes'),
    outboxWaiting: await db.outbox.count(),
    lockNotice: await settings.get('lockNotice'),
  });

  /** Upload what waits in the background; open pages hear about it when something went up. */
  const drainAndTell = (): void => void services.drainOutbox(true).catch(() => undefined);

  const afterKeysChange = <T>(value: T): T => {
    services.broadcast({ channel: 'byok-event', event: 'keys' });
    return value;
  };

  const handlers: Handlers = {
    status,
    'vault.create': async (payload) => {
      await vault.createAccount(payload);
      return status();
    },
    'vault.signIn': async (payload) => {
      await vault.signIn(payload);
      drainAndTell();
      return status();
    },
    'vault.unlock': async ({ passphrase }) => {
      await vault.unlock(passphrase);
      drainAndTell();
      return status();
    },
    'vault.changePassphrase': async ({ current, next }) => {
      const result = await services.passphrase.change(current, next);
      services.broadcast({ channel: 'byok-event', event: 'keys' });
      return result;
    },
    'vault.lock': async () => {
      await vault.lock();
      return status();
    },
    'vault.signOut': async () => {
      await vault.signOut();
      return status();
    },
    'settings.set': async ({ companionUrl, autoLockMinutes }) => {
      if (companionUrl !== undefined) {
        const normalized = normalizeBaseUrl(companionUrl);
        if (!normalized) throw new ExtensionError('invalid_input', 'Enter the companion URL as http(s)://host:port.');
        if (normalized !== (await settings.get('companionUrl'))) {
          // The session's tokens and the cached keys belong to the companion that issued them:
          // they must never be sent to another host, so a switch waits for sign-out.
          if (await settings.get('account')) {
            throw new ExtensionError('invalid_input', 'Sign out before you switch to another companion: this session and its keys belong to the current one.');
          }
          await settings.set('companionUrl', normalized);
        }
      }
      if (autoLockMinutes !== undefined) {
        if (!Number.isInteger(autoLockMinutes) || autoLockMinutes < 1 || autoLockMinutes > 24 * 60) {
          throw new ExtensionError('invalid_input', 'Auto-lock takes 1 to 1440 minutes.');
        }
        await settings.set('autoLockMinutes', autoLockMinutes);
        await vault.restartAutoLock();
      }
      return status();
    },
    me: async () => {
      try {
        const me = await api.me();
        await settings.set('me', me);
        return me;
      } catch (error) {
        const cached = await settings.get('me');
        if (cached && isRetryable(error)) return cached;
        throw error;
      }
    },
    'keys.list': () => keys.list(),
    'keys.cached': async () => ({ keys: await keys.cached(), outbox: await outbox.list(), fresh: false }),
    'keys.save': async (payload) => afterKeysChange(await keys.save(payload)),
    'keys.remove': async ({ id }) => afterKeysChange(await keys.remove(id).then(() => null)),
    'keys.reorder': async ({ ids }) => afterKeysChange(await keys.reorder(ids).then(() => null)),
    'keys.verify': async ({ id }) => afterKeysChange(await keys.verify(id)),
    'outbox.list': () => outbox.list(),
    // Pages that listed the keys before the drain finished show the uploaded ones after it.
    'outbox.drain': () => services.drainOutbox(true),
    'outbox.retry': async ({ seq }) => {
      await outbox.retry(seq);
      return null;
    },
    'outbox.discard': async ({ seq }) => {
      await outbox.discard(seq);
      return null;
    },
    'usage.get': () => usage.view(),
    'usage.csv': () => usage.csv(),
    'history.list': () => db.history.orderBy('createdAt').reverse().limit(100).toArray(),
    'history.remove': async ({ id }) => {
      await db.transaction('rw', db.history, db.retryInputs, async () => {
        await db.history.delete(id);
        await db.retryInputs.delete(id);
      });
      return null;
    },
    'enrich.cancel': async ({ id }) => {
      enrichment.cancel(id);
      return null;
    },
    'enrich.retry': async ({ id }) => {
      await enrichment.retry(id);
      return null;
    },
    'enrich.text': async (payload) => ({ id: await enrichment.start(payload) }),
    'admin.overview': () => admin.overview(),
    'admin.putPolicy': ({ policy }) => api.putPolicy(policy),
    'admin.invite': (payload) => api.createInvite(payload),
    'admin.setRole': async ({ id, role }) => {
      await api.setMemberRole(id, role);
      return null;
    },
    'admin.removeMember': async ({ id }) => {
      await api.removeMember(id);
      return null;
    },
    'admin.uploadOrgKey': (payload) => admin.uploadOrgKey(payload),
    'admin.deleteOrgKey': async ({ id }) => {
      await api.deleteOrgSecret(id);
      return null;
    },
  };

  return async (message) => {
    try {
      if (message.type !== 'status') await vault.touch();
      const handler = handlers[message.type] as (payload: unknown) => Promise<unknown>;
      if (!handler) throw new ExtensionError('invalid_input', 'Unknown request.');
      return { ok: true, value: await handler(message.payload) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}
