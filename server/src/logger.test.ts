// The logger writes JSON lines and redacts secret-bearing fields at any depth.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LOG_FLUSH_MS, REDACTED, createLogger, redactDeep } from './logger';

/**
 * Runs `body` in a child process with `logger` = createLogger on stdout, and collects the lines it
 * writes, each with whether the child had exited when it arrived.
 */
function runLoggingChild(body: string): Promise<Array<{ msg: string; beforeExit: boolean }>> {
  const loggerUrl = new URL('./logger.ts', import.meta.url).href;
  const script = `import { createLogger } from ${JSON.stringify(loggerUrl)};\nconst logger = createLogger({ level: 'info' });\n${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Array<{ msg: string; beforeExit: boolean }> = [];
  let exited = false;
  let pending = '';
  child.on('exit', () => {
    exited = true;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) lines.push({ msg: (JSON.parse(line) as { msg: string }).msg, beforeExit: !exited });
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`child exited with ${code}`))));
  });
}

describe('logger', () => {
  it('redacts secret fields at any depth and keeps the rest', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (chunk: string) => void lines.push(chunk) } });
    logger.info(
      {
        headers: { Authorization: 'Bearer abc.def.ghi', 'x-request-id': 'r1' },
        body: { grants: ['eyJ...'], nested: [{ apiKey: 'sk-ant-LEAK', dek: 'DEKLEAK', keep: 1 }] },
        refreshToken: 'RT',
        accessToken: 'AT',
        authProof: 'AP',
        newAuthProof: 'NAP',
        sealed: { ct: 'CT' },
        upload: 'UP',
        passphrase: 'PW',
        grant: 'G',
        key: 'K',
        code: 'invite-code-secret-value',
        status: 200,
      },
      'request',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    for (const secret of ['abc.def.ghi', 'eyJ...', 'sk-ant-LEAK', 'DEKLEAK', '"RT"', '"AT"', '"AP"', 'NAP', '"CT"', '"UP"', '"PW"', '"G"', '"K"', 'invite-code-secret-value']) {
      expect(line).not.toContain(secret);
    }
    const parsed = JSON.parse(line) as { headers: Record<string, string>; body: { nested: { keep: number }[] }; status: number; level: string; msg: string };
    expect(parsed.headers['x-request-id']).toBe('r1');
    expect(parsed.headers['Authorization']).toBe(REDACTED);
    expect(parsed.body.nested[0]?.keep).toBe(1);
    expect(parsed.status).toBe(200);
    expect(parsed.level).toBe('info');
    expect(parsed.msg).toBe('request');
  });

  it('keeps error codes, which are not secrets', () => {
    expect(redactDeep({ code: 'grant_invalid' })).toEqual({ code: 'grant_invalid' });
    expect(redactDeep({ code: 'Zx9-abc_DEF' })).toEqual({ code: REDACTED });
  });

  it('writes stdout lines in batches, each within LOG_FLUSH_MS, while the process keeps running', async () => {
    // The child logs, then stays up for 20 flush periods: the lines must not wait for its exit.
    const lines = await runLoggingChild(`logger.info('one'); logger.info('two'); logger.info('three');\nsetTimeout(() => process.exit(0), ${LOG_FLUSH_MS * 20});`);
    expect(lines).toEqual([
      { msg: 'one', beforeExit: true },
      { msg: 'two', beforeExit: true },
      { msg: 'three', beforeExit: true },
    ]);
  });

  it('loses no buffered line when the process exits straight after logging', async () => {
    const lines = await runLoggingChild(`for (let i = 0; i < 50; i++) logger.info('line ' + i);\nprocess.exit(0);`);
    expect(lines.map((line) => line.msg)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
  });
});
