/** Pure formatting of a migration run for the tray, the live figures and the history. */
import { isActive, migrationStateLabel } from '../../../../shared/migration/state';
import type { VerdictState } from '../../../../shared/migration/verdict';
import { formatMilliseconds } from '../../../../shared/units';
import type { MigrationRun, RunSample } from '../../store/migrationPort';

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
/** Durations as the reports write them (one formatter: `209 ms`, `4.7 s`, `1 min 16 s`). */
export function fmtMs(ms: number | undefined): string {
  return ms === undefined ? '—' : formatMilliseconds(ms);
}

/** What the tray and history say about a run in one word or two. */
export function runLabel(r: MigrationRun): { text: string; tone: string } {
  // An ended run reads as the reports read it: the record's state, in the one set of words for states.
  if (!isActive(r.state)) {
    const l = migrationStateLabel(r.state);
    return { text: l.text, tone: l.tone };
  }
  const v = r.verdict?.state ?? 'starting';
  return { text: VERDICT_LABELS[v], tone: v === 'not-converging' || v === 'stalled' ? 'error' : v === 'slow' ? 'warn' : 'ok' };
}

const hasFigures = (s: RunSample) => s.throughputMiBps !== undefined || s.remainingMiB !== undefined || s.dirtyMiBps !== undefined || s.downtimeMs !== undefined;

/**
 * The last sample that has figures: after an abort or a failure the job's last samples say only "cancelled" or
 * "failed" (no statistics), and those must not blank the box.
 */
export function latestFigures(r: MigrationRun) {
  let last: RunSample | undefined;
  for (let i = r.samples.length - 1; i >= 0; i--) {
    const s = r.samples[i];
    if (s !== undefined && hasFigures(s)) {
      last = s;
      break;
    }
  }
  return {
    throughput: last?.throughputMiBps,
    dirty: last?.dirtyMiBps,
    remaining: last?.remainingMiB,
    downtime: last?.downtimeMs,
    iteration: last?.iteration,
    throttle: last?.throttlePercent,
    elapsedS: last?.t,
  };
}

/** Running and past the switch to post-copy: the guest runs on the destination. */
export function inPostcopy(r: MigrationRun): boolean {
  if (!isActive(r.state)) return false;
  return r.inPostcopy === true || r.verdict?.state === 'post-copy' || r.samples.at(-1)?.postcopy === true || (r.postcopy !== undefined && r.postcopy.endedAt === undefined);
}

/** Auto-converge is on (asked for, or its throttle shows in the samples). */
export function autoConverging(r: MigrationRun): boolean {
  return r.options.autoConverge === true || r.samples.some((s) => s.throttlePercent !== undefined);
}

const POSTCOPY_NA = 'n/a in post-copy';

/**
 * The live figures (or, once it has ended, the last sample that had any). In post-copy the dirty rate and the
 * expected downtime no longer mean anything (nothing is re-sent; the guest already runs on the destination), so they
 * are not shown as numbers.
 */
export function liveFigures(r: MigrationRun): { label: string; value: string }[] {
  const f = latestFigures(r);
  const v = r.verdict;
  // An interrupted run's last samples were taken in post-copy: their dirty rate and downtime mean nothing either.
  const pc = inPostcopy(r) || r.state === 'post-copy-interrupted';
  const running = isActive(r.state);
  return [
    { label: 'Throughput', value: fmtRate(f.throughput) },
    { label: 'Dirty rate', value: pc ? POSTCOPY_NA : f.dirty === undefined && f.iteration === 1 && running ? 'measured after pass 1' : fmtRate(f.dirty) },
    { label: 'Remaining', value: fmtMiB(f.remaining) },
    { label: 'Iteration', value: f.iteration === undefined ? '—' : String(f.iteration) },
    { label: 'Expected downtime', value: pc ? POSTCOPY_NA : fmtMs(f.downtime) },
    ...(autoConverging(r) ? [{ label: 'Throttle', value: f.throttle === undefined ? (running ? 'not yet' : '—') : `${f.throttle} %` }] : []),
    { label: 'ETA', value: !running ? '—' : v?.etaMs !== undefined ? fmtMs(v.etaMs) : (v?.etaNote ?? '—') },
  ];
}

/**
 * What the tray shows of a run's progress: a bar only for the bulk copy (share of memory sent, which means
 * something); for a re-send pass the pass number, never a bar near 100 % that reads "almost done".
 */
export function trayProgress(r: MigrationRun): { value?: number; text?: string } {
  // An interrupted run keeps the verdict from before the break: nothing of it is progress now.
  if (r.state === 'post-copy-interrupted') return {};
  const v = r.verdict;
  if (v?.passProgress !== undefined) return { value: v.passProgress };
  const pass = r.samples.at(-1)?.iteration;
  if (v?.progressLabel !== undefined && /^pass \d+$/.test(v.progressLabel)) return { text: v.progressLabel };
  return pass !== undefined && pass >= 2 ? { text: `pass ${pass}` } : {};
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
  // An interrupted run has not ended: libvirt has no completed job to report.
  if (isActive(r.state) || r.state === 'post-copy-interrupted') return undefined;
  const any = r.totalMs !== undefined || r.downtimeMs !== undefined || r.dataSentBytes !== undefined;
  if (!any && r.state !== 'completed') return undefined;
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
  if (isActive(r.state)) return { total: 'running…', downtime: '', data: '' };
  if (r.state === 'post-copy-interrupted') return { total: 'not finished', downtime: '', data: '' };
  return { total: fmtMs(r.totalMs), downtime: fmtMs(r.downtimeMs), data: r.dataSentBytes === undefined ? '—' : fmtMiB(r.dataSentBytes / 1048576) };
}
