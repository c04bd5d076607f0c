// CSV export: header, quoting, and formula-injection-safe cells.
import { describe, expect, it } from 'vitest';
import type { UsageRow } from '@byok/shared/wire/usage';
import { USAGE_CSV_HEADER, csvCell, usageCsvLines } from './usage-csv';

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['=1+1', "'=1+1"],
    ['+cmd', "'+cmd"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ['line\nbreak', '"line\nbreak"'],
  ])('%j -> %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('keeps numbers and empties as they are', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });
});

describe('USAGE_CSV_HEADER and usageCsvLines', () => {
  it('writes a header and one CRLF-terminated row per call', () => {
    const row: UsageRow = {
      id: '00000000-0000-4000-8000-000000000001', at: '2026-11-22T10:00:00.000Z', provider: 'openai', model: 'gpt-4o-mini', source: 'byok',
      secretId: null, task: 'summary', inputTokens: 10, outputTokens: 5, costMicros: 5, latencyMs: 12, outcome: 'ok',
    };
    expect(USAGE_CSV_HEADER + usageCsvLines([row])).toBe(
      'id,at,provider,model,source,secretId,task,inputTokens,outputTokens,costMicros,latencyMs,outcome\r\n' +
        '00000000-0000-4000-8000-000000000001,2026-11-22T10:00:00.000Z,openai,gpt-4o-mini,byok,,summary,10,5,5,12,ok\r\n',
    );
  });
});
