// CSV export of usage rows (RFC 4180 quoting) with cells made safe for spreadsheets: a cell that
// starts with = + - @ tab or carriage return is prefixed with an apostrophe so that it is never
// evaluated as a formula (CSV injection).
import { USAGE_CSV_COLUMNS } from '@byok/shared/wire/usage';
import type { UsageRow } from '@byok/shared/wire/usage';

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'number' ? String(value) : String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const USAGE_CSV_HEADER = `${USAGE_CSV_COLUMNS.join(',')}\r\n`;

/** The lines of `rows`, each ended by CRLF. */
export function usageCsvLines(rows: readonly UsageRow[]): string {
  let out = '';
  for (const row of rows) out += `${USAGE_CSV_COLUMNS.map((column) => csvCell(row[column])).join(',')}\r\n`;
  return out;
}
