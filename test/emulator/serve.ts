// Runs the provider emulator on its own for manual testing and demos:
//   pnpm exec tsx test/emulator/serve.ts openai=sk-test-123 anthropic=sk-ant-test-456
// prints the BYOK_PROVIDER_BASE_URLS value to start the companion with, and serves until Ctrl-C.
// Programs that start it (the enrichment benchmark) pass keys in EMULATOR_KEYS instead, as JSON
// `{ "<provider>": "<key>" }`, so that no key shows in the process list.
import { startEmulator } from './emulator';
import { EMULATED_PROVIDERS, type EmulatedProvider } from './types';

function isEmulated(value: string): value is EmulatedProvider {
  return (EMULATED_PROVIDERS as readonly string[]).includes(value);
}

const emulator = await startEmulator();
const fromEnvironment = Object.entries(JSON.parse(process.env.EMULATOR_KEYS ?? '{}') as Record<string, string>).map(([provider, key]) => `${provider}=${key}`);
for (const argument of [...process.argv.slice(2), ...fromEnvironment]) {
  const separator = argument.indexOf('=');
  const provider = argument.slice(0, separator);
  if (separator <= 0 || !isEmulated(provider)) {
    console.error(`ignored "${argument.slice(0, Math.max(0, separator))}": use <provider>=<key> with one of ${EMULATED_PROVIDERS.join(', ')}`);
    continue;
  }
  emulator.addKey(provider, argument.slice(separator + 1));
}
process.stdout.write(`emulator on ${emulator.baseUrl}\nBYOK_PROVIDER_BASE_URLS='${JSON.stringify(emulator.urls)}'\n`);
const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
