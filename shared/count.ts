/**
 * Counts in words, the same everywhere a person reads them: `1 VM`, `5,000 VMs`, `2 passes`. Pure and
 * locale-independent (the grouping is done by hand: toLocaleString depends on the machine, and tests compare text).
 */

/** 5000 -> `5,000`; a fraction keeps its decimals (`1,234.5`); not a finite number -> `—`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const [whole = '', fraction] = String(Math.abs(n)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** `countOf(1, 'VM')` -> `1 VM`; `countOf(5000, 'VM')` -> `5,000 VMs`; `countOf(2, 'pass', 'passes')` -> `2 passes`. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}
