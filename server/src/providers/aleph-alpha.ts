// Aleph Alpha (PhariaInference): OpenAI's chat wire format at {base}/chat/completions, but its model
// list is `GET {base}/model-settings`, a bare array of model entries named by `name`, with `chat`
// saying whether the chat endpoint serves it (there is no `/models`: verify asked for it and read
// the 404 as an unreachable provider).
import { z } from 'zod';
import { openAiChatProtocol } from './openai-chat';
import type { ProviderCall } from './types';
import { joinUrl, type HttpRequestSpec, type WireProtocol } from './wire-protocol';

const ModelSettingsBody = z.array(z.object({ name: z.string(), chat: z.boolean().optional() }));

export const alephAlphaProtocol: WireProtocol = {
  ...openAiChatProtocol,
  buildVerify(call: ProviderCall): HttpRequestSpec {
    const { headers } = openAiChatProtocol.buildVerify(call);
    return { url: joinUrl(call.baseUrl, '/model-settings'), method: 'GET', headers };
  },
  parseVerify(body: unknown): readonly string[] | null {
    const parsed = ModelSettingsBody.safeParse(body);
    // Only models the chat endpoint serves (embedding, transcription and translation models are
    // listed too): verify names one of these when the requested model is not listed.
    return parsed.success ? parsed.data.filter((entry) => entry.chat !== false).map((entry) => entry.name) : null;
  },
};
