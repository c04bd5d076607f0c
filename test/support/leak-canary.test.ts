// The canary must find what it is meant to find, or every suite that relies on it proves nothing.
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeakCanary, filesBelow } from './leak-canary';

describe('leak canary', () => {
  it('finds a key raw, url-encoded, hex and base64 at every alignment', () => {
    const canary = new LeakCanary();
    const key = canary.key('anthropic');
    for (const pad of ['', 'x', 'xy']) {
      const blob = Buffer.from(`${pad}{"k":"${key}"}`).toString('base64');
      expect(canary.scan([{ name: 'b64', content: blob }])).not.toHaveLength(0);
      const blobUrl = Buffer.from(`${pad}${key}!`).toString('base64url');
      expect(canary.scan([{ name: 'b64url', content: blobUrl }])).not.toHaveLength(0);
    }
    expect(canary.scan([{ name: 'url', content: `?q=${encodeURIComponent(key)}` }])).toHaveLength(1);
    expect(canary.scan([{ name: 'hex', content: Buffer.from(key).toString('hex') }])).toHaveLength(1);
    expect(() => canary.assertClean([{ name: 'log', content: `oops ${key}` }])).toThrow(/canary #0 as raw in log/);
  });

  it('finds a key inside files below a directory and stays quiet on clean data', async () => {
    const canary = new LeakCanary();
    const key = canary.key('openai');
    const dir = await mkdtemp(join(tmpdir(), 'canary-'));
    await writeFile(join(dir, 'clean.db'), Buffer.from('nothing to see'));
    expect(canary.scan(await filesBelow(dir))).toEqual([]);
    await writeFile(join(dir, 'db.sqlite-wal'), Buffer.concat([Buffer.alloc(100), Buffer.from(key), Buffer.alloc(7)]));
    expect(canary.scan(await filesBelow(dir)).map((f) => f.encoding)).toContain('raw');
  });

  it('makes keys that match the provider formats of the catalog', () => {
    const canary = new LeakCanary();
    expect(canary.key('openai')).toMatch(/^sk-[A-Za-z0-9_-]{20,}$/);
    expect(canary.key('anthropic')).toMatch(/^sk-ant-[A-Za-z0-9_-]{20,}$/);
    expect(canary.key('google')).toMatch(/^AIza[0-9A-Za-z_-]{35}$/);
    expect(canary.key('groq')).toMatch(/^gsk_[A-Za-z0-9]{20,}$/);
    expect(canary.key('mistral')).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});
