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
  if (r.status === 'refused') return { text: 'Refused by pre-flight', tone: 'warn' };
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

/**
 * The figures of an ended migration as libvirt reported them once it was over (`domjobinfo --completed
 * --keep-completed`, the record's result): total time, the real downtime, the data sent, and the average rate those
 * two give. Undefined while it runs, and for a failed or aborted one that has none. A completed migration whose
 * statistics are missing says so instead of showing the last running sample as if it were final.
 */
export interface FinalStatistics {
  readonly items: readonly { readonly label: string; readonly value: string }[];
  readonly note?: string | undefined;
}

export function finalStatistics(r: MigrationRun): FinalStatistics | undefined {
  if (r.status === 'running') return undefined;
  const any = r.totalMs !== undefined || r.downtimeMs !== undefined || r.dataSentBytes !== undefined;
  if (!any && r.status !== 'completed') return undefined;
  const dataMiB = r.dataSentBytes === undefined ? undefined : r.dataSentBytes / 1048576;
  const average = dataMiB !== undefined && r.totalMs !== undefined && r.totalMs > 0 ? dataMiB / (r.totalMs / 1000) : undefined;
  const missing = [r.totalMs === undefined && 'total time', r.downtimeMs === undefined && 'downtime', r.dataSentBytes === undefined && 'data sent'].filter((x): x is string => x !== false);
  return {
    items: [
      { label: 'Total time', value: fmtMs(r.totalMs) },
      { label: 'Real downtime', value: fmtMs(r.downtimeMs) },
      { label: 'Data sent', value: fmtMiB(dataMiB) },
      { label: 'Average rate', value: fmtRate(average) },
    ],
    note:
      missing.length === 0
        ? undefined
        : `libvirt reported no ${missing.join(', ')} for the finished job (domjobinfo --completed), so ${missing.length === 1 ? 'it is' : 'they are'} not shown.`,
  };
}

/** The history's final-statistics cells: none yet while it runs, "—" for a figure libvirt did not report. */
export function historyFinals(r: MigrationRun): { total: string; downtime: string; data: string } {
  if (r.status === 'running') return { total: 'running…', downtime: '', data: '' };
  return { total: fmtMs(r.totalMs), downtime: fmtMs(r.downtimeMs), data: r.dataSentBytes === undefined ? '—' : fmtMiB(r.dataSentBytes / 1048576) };
}
