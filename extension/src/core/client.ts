// The pages' side of the typed messages: `send('keys.list')` resolves with the answer or
// rejects with an ExtensionError carrying the background's code and message.
import { browser } from 'wxt/browser';
import { ExtensionError } from './errors';
import type { MessageMap, MessageType, Reply, RequestMessage } from './messages';

export async function send<T extends MessageType>(
  type: T,
  ...payload: MessageMap[T]['payload'] extends undefined ? [] : [MessageMap[T]['payload']]
): Promise<MessageMap[T]['result']> {
  const message: RequestMessage<T> = { channel: 'byok', type, payload: payload[0] as MessageMap[T]['payload'] };
  const reply = (await deliver(message)) as Reply<MessageMap[T]['result']> | undefined;
  if (!reply) throw new ExtensionError('internal', 'The extension background did not answer. Reload the extension.');
  if (!reply.ok) {
    throw new ExtensionError(reply.error.code, reply.error.message, {
      ...(reply.error.status !== undefined ? { status: reply.error.status } : {}),
      ...(reply.error.secretId !== undefined ? { secretId: reply.error.secretId } : {}),
    });
  }
  return reply.value;
}

/** Right after install or while the worker starts, nobody may be listening yet: retry briefly. */
async function deliver(message: RequestMessage): Promise<unknown> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await browser.runtime.sendMessage(message);
    } catch (error) {
      const text = error instanceof Error ? error.message : '';
      const notReady = /Receiving end does not exist|Could not establish connection/i.test(text);
      if (!notReady || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
}
