// Aleph Alpha (PhariaInference): OpenAI's chat wire format at {base}/chat/completions, but its model
// list is `GET {base}/model-settings`, a bare array of model entries named by `name` (there is no
// `/models`: verify asked for it and read the 404 as an unreachable provider).
import { z } from 'zod';
import { openAiChatProtocol } from './openai-chat';
import type { ProviderCall } from './types';
import { joinUrl, type HttpRequestSpec, type WireProtocol } from './wire-protocol';

const ModelSettingsBody = z.array(z.object({ name: z.string() }));

export const alephAlphaProtocol: WireProtocol = {
  ...openAiChatProtocol,
  buildVerify(call: ProviderCall): HttpRequestSpec {
    const { headers } = openAiChatProtocol.buildVerify(call);
    return { url: joinUrl(call.baseUrl, '/model-settings'), method: 'GET', headers };
  },
  parseVerify(body: unknown): readonly string[] | null {
    const parsed = ModelSettingsBody.safeParse(body);
    return parsed.success ? parsed.data.map((entry) => entry.name) : null;
  },
};
