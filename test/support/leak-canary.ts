// The leak canary (TESTING.md): suites seed fake keys of the form `<prefix>canary…`, and at the end
// search everything the run produced (logs, response bodies and headers, SQLite files and their WAL,
// the audit log, IndexedDB and chrome.storage dumps) for them in every encoding a leak could take.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodedForms } from '@byok/shared/testing/encoded-forms';

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHANUM[b % ALPHANUM.length]).join('');
}

/** Shapes that pass each provider's format check in the catalog, marked as canaries. */
const CANARY_SHAPES: Record<string, () => string> = {
  openai: () => `sk-canary${randomAlphanumeric(40)}`,
  'openai-proj': () => `sk-proj-canary${randomAlphanumeric(40)}`,
  anthropic: () => `sk-ant-canary${randomAlphanumeric(40)}`,
  google: () => `AIzacanary${randomAlphanumeric(29)}`,
  mistral: () => `canary${randomAlphanumeric(26)}`,
  groq: () => `gsk_canary${randomAlphanumeric(40)}`,
  'aleph-alpha': () => `canary${randomAlphanumeric(40)}`,
  'azure-openai': () => `canary${randomAlphanumeric(26)}`,
  lmstudio: () => `lm-canary${randomAlphanumeric(24)}`,
  vllm: () => `vllm-canary${randomAlphanumeric(24)}`,
};

export class LeakCanary {
  private readonly seeded: string[] = [];

  /** A fresh canary key in the given provider's format, remembered for the final scan. */
  key(provider: string): string {
    const make = CANARY_SHAPES[provider] ?? (() => `sk-canary${randomAlphanumeric(40)}`);
    const key = make();
    this.seeded.push(key);
    return key;
  }

  /** Remembers another secret (a token, a passphrase) that must never surface either. */
  watch(secret: string): void {
    if (secret.length >= 8) this.seeded.push(secret);
  }

  get secrets(): readonly string[] {
    return this.seeded;
  }

  /** Every finding over the given texts and buffers; empty when nothing leaked. */
  scan(haystacks: Iterable<Haystack>): LeakFinding[] {
    const findings: LeakFinding[] = [];
    const needles = this.seeded.flatMap((secret, index) =>
      encodedForms(secret).map((form) => ({ index, form: form.name, bytes: Buffer.from(form.value, 'utf8') })),
    );
    for (const haystack of haystacks) {
      const content = typeof haystack.content === 'string' ? Buffer.from(haystack.content, 'utf8') : haystack.content;
      for (const needle of needles) {
        if (content.indexOf(needle.bytes) !== -1) {
          findings.push({ where: haystack.name, canary: needle.index, encoding: needle.form });
        }
      }
    }
    return findings;
  }

  /** Throws with a description (canary number, encoding, place; never the secret) when anything leaked. */
  assertClean(haystacks: Iterable<Haystack>): void {
    const findings = this.scan(haystacks);
    if (findings.length > 0) {
      const lines = findings.map((f) => `canary #${f.canary} as ${f.encoding} in ${f.where}`);
      throw new Error(`leak canary: ${findings.length} finding(s)\n${lines.join('\n')}`);
    }
  }
}

export interface Haystack {
  name: string;
  content: string | Buffer;
}

/** What an HTTP answer puts in front of a client, as haystacks: its body and its headers. */
export function responseHaystacks(label: string, response: { text: string; headers: Headers }): Haystack[] {
  const headers: string[] = [];
  response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  return [
    { name: `${label} body`, content: response.text },
    { name: `${label} headers`, content: headers.join('\n') },
  ];
}

export interface LeakFinding {
  where: string;
  canary: number;
  encoding: string;
}

/**
 * The forms a secret can take on its way out: raw, URL-encoded, JSON-escaped (same as raw for keys),
 * hex, and base64 / base64url at each of the three byte alignments it can have inside a longer blob.
 * One list for every suite: the extension's own tests use it too.
 */
export { encodedForms };

/** Reads every regular file below `dir` (SQLite database, -wal, -shm, key files, logs). */
export async function filesBelow(dir: string): Promise<Haystack[]> {
  const out: Haystack[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesBelow(path)));
    else if (entry.isFile() && (await stat(path)).size < 512 * 1024 * 1024) {
      out.push({ name: path, content: await readFile(path) });
    }
  }
  return out;
}
