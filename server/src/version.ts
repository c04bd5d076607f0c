// The server's version, read from its package.json (GET /healthz, the OpenAPI document).
import { readFileSync } from 'node:fs';

export function serverVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const parsed = JSON.parse(text) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}
