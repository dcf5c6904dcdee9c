/** Small formatters for dense tables. Pure, locale-independent (tests compare strings). */
import type { VmState } from '../../../shared/inventory/types';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Memory as admins read it in a table: `512 MiB`, `4 GiB`, `31.3 GiB`; `—` when not known yet. */
export function formatMemory(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < GiB) return `${Math.round(bytes / MiB)} MiB`;
  if (bytes >= 1024 * GiB) {
    const t = bytes / (1024 * GiB);
    return Number.isInteger(t) ? `${t} TiB` : `${t.toFixed(2)} TiB`;
  }
  const g = bytes / GiB;
  return Number.isInteger(g) ? `${g} GiB` : `${g.toFixed(1)} GiB`;
}

// Counts and "N things" have one home, shared with the reports and the path analysis.
export { countOf, formatCount } from '../../../shared/count';

export function formatYesNo(v: boolean | undefined, yes: string, no: string): string {
  return v === undefined ? '—' : v ? yes : no;
}

/** `just now`, `42 s ago`, `3 min ago`, `2 h ago`, then the date; `never` when absent. */
export function formatAge(iso: string | undefined, nowMs: number): string {
  if (iso === undefined) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((nowMs - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return iso.slice(0, 10);
}

/** `2026-05-04 14:03:07` in local time, for "last refresh" lines next to the relative age. */
export function formatTimestamp(iso: string | undefined): string {
  if (iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const VM_STATE_LABELS: Record<VmState, string> = {
  running: 'running',
  idle: 'idle',
  paused: 'paused',
  'in-shutdown': 'shutting down',
  'shut-off': 'shut off',
  crashed: 'crashed',
  pmsuspended: 'suspended',
  'no-state': 'no state',
};

/** Order of states in the filter menu and when sorting by state: the ones an admin acts on first. */
export const VM_STATE_ORDER: readonly VmState[] = ['running', 'paused', 'in-shutdown', 'crashed', 'pmsuspended', 'idle', 'shut-off', 'no-state'];
