// Display formatting shared by the pages: money from micro-dollars, counts, dates, key hints. The
// Intl formatters are made once: building one per call cost more than rendering a 50-key list.
import { formatHint } from '@byok/shared/crypto/hint';
import type { KeyHint } from '@byok/shared/crypto/hint';

/**
 * The masked hint (`sk-ant-•••xx7K`), or "no key" for an entry of a provider that runs without one
 * (a cached key marked keyless, or an outbox item sealed without a key).
 */
export function keyHintText(key: { hint?: KeyHint | undefined; keyless?: boolean | undefined }): string {
  return key.keyless || key.hint === undefined ? 'no key' : formatHint(key.hint);
}

/**
 * Dollars from integer micro-dollars: cents from one cent up; below that two significant digits,
 * so that a cheap call (tens of micro-dollars) never reads as free.
 */
export function formatCost(micros: number): string {
  if (micros === 0) return '$0.00';
  const dollars = micros / 1_000_000;
  if (dollars < 0.01) return `$${Number(dollars.toPrecision(2))}`;
  return `$${dollars.toFixed(2)}`;
}

const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function formatter<T extends Intl.NumberFormat | Intl.DateTimeFormat>(id: string, make: () => T): T {
  let existing = formatters.get(id) as T | undefined;
  if (!existing) {
    existing = make();
    formatters.set(id, existing);
  }
  return existing;
}

export function formatCount(value: number): string {
  const notation = value >= 100_000 ? 'compact' : 'standard';
  return formatter(`count-${notation}`, () => new Intl.NumberFormat(undefined, { notation })).format(value);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter('date', () => new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })).format(date);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return formatter('date-time', () => new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })).format(date);
}

export const SOURCE_LABELS: Record<string, string> = {
  byok: 'Your key',
  org: 'Organization key',
  platform: 'Platform key',
  builtin: 'Built-in (offline, free)',
};
