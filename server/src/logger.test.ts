// The logger writes JSON lines and redacts secret-bearing fields at any depth.
import { describe, expect, it } from 'vitest';
import { REDACTED, createLogger, redactDeep } from './logger';

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
});
