// Display formatting shared by the pages: money from micro-dollars, counts, dates.

export function formatCost(micros: number): string {
  if (micros === 0) return '$0.00';
  const dollars = micros / 1_000_000;
  if (dollars < 0.01) return `$${dollars.toFixed(4)}`;
  return `$${dollars.toFixed(2)}`;
}

export function formatCount(value: number): string {
  return new Intl.NumberFormat(undefined, { notation: value >= 100_000 ? 'compact' : 'standard' }).format(value);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const SOURCE_LABELS: Record<string, string> = {
  byok: 'Your key',
  org: 'Organization key',
  platform: 'Platform key',
  builtin: 'Built-in (offline, free)',
};
