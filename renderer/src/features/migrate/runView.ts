/** Pure formatting of a migration run for the tray, the live figures and the history. */
import type { MigrationRun, VerdictState } from '../../store/migrationPort';

export const VERDICT_LABELS: Record<VerdictState, string> = {
  starting: 'Starting',
  converging: 'Converging',
  slow: 'Slow',
  'not-converging': 'Not converging',
  stalled: 'Stalled',
  'post-copy': 'Post-copy',
  completing: 'Completing',
};

export const fmtRate = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(1)} MiB/s`);
export const fmtMiB = (v: number | undefined) => (v === undefined ? '—' : v >= 1024 ? `${(v / 1024).toFixed(2)} GiB` : `${v.toFixed(1)} MiB`);
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** What the tray and history say about a run in one word or two. */
export function runLabel(r: MigrationRun): { text: string; tone: string } {
  if (r.status === 'completed') return { text: 'Completed', tone: 'ok' };
  if (r.status === 'failed') return { text: 'Failed', tone: 'error' };
  if (r.status === 'cancelled') return { text: 'Aborted', tone: 'warn' };
  const v = r.verdict?.state ?? 'starting';
  return { text: VERDICT_LABELS[v], tone: v === 'not-converging' || v === 'stalled' ? 'error' : v === 'slow' ? 'warn' : 'ok' };
}

export function latestFigures(r: MigrationRun) {
  const last = r.samples.at(-1);
  return {
    throughput: last?.throughputMiBps,
    dirty: last?.dirtyMiBps,
    remaining: last?.remainingMiB,
    downtime: last?.downtimeMs,
    iteration: last?.iteration,
    elapsedS: last?.t,
  };
}
