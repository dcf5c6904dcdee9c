/**
 * What a report says about one migration, from its record and samples: the headline figures, the timeline of what
 * happened (the record's events plus the pass changes read from the samples), and the difference between two runs.
 * Pure. A figure that cannot be known (no samples with a throughput, a run without final statistics) stays
 * undefined and is shown as "-", never as 0.
 */
import type { MigrationSample } from '../migration/record-schema';
import type { ReportEntry } from './schema';

export interface MigrationFigures {
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  readonly dataBytes?: number;
  /** Highest dirty rate of any sample, bytes/s. */
  readonly maxDirtyRateBytesPerSecond?: number;
  /** Mean of the samples' throughput, bytes/s (the samples are evenly spaced in time: 1 Hz by default). */
  readonly meanThroughputBytesPerSecond?: number;
  /** Highest pass number QEMU reported (1 = the first full copy). */
  readonly iterations?: number;
  /** Highest auto-converge vCPU throttle, % (absent when QEMU never throttled). */
  readonly maxThrottlePercent?: number;
  readonly sampleCount: number;
}

function finite(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

export function migrationFigures(e: ReportEntry): MigrationFigures {
  let maxDirty: number | undefined;
  let sumThroughput = 0;
  let nThroughput = 0;
  let iterations: number | undefined;
  let maxThrottle: number | undefined;
  for (const s of e.samples) {
    const throttle = s.info?.autoConvergeThrottlePercent;
    if (finite(throttle)) maxThrottle = Math.max(maxThrottle ?? 0, throttle);
    const f = s.figures;
    if (!f) continue;
    if (finite(f.dirtyRateBytesPerSecond)) maxDirty = Math.max(maxDirty ?? 0, f.dirtyRateBytesPerSecond);
    if (finite(f.throughputBytesPerSecond)) {
      sumThroughput += f.throughputBytesPerSecond;
      nThroughput++;
    }
    if (finite(f.iteration)) iterations = Math.max(iterations ?? 0, f.iteration);
  }
  const r = e.record.result;
  return {
    ...(finite(r.totalTimeMs) ? { totalTimeMs: r.totalTimeMs } : {}),
    ...(finite(r.downtimeMs) ? { downtimeMs: r.downtimeMs } : {}),
    ...(finite(r.dataBytes) ? { dataBytes: r.dataBytes } : {}),
    ...(maxDirty !== undefined ? { maxDirtyRateBytesPerSecond: maxDirty } : {}),
    ...(nThroughput > 0 ? { meanThroughputBytesPerSecond: sumThroughput / nThroughput } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    ...(maxThrottle !== undefined ? { maxThrottlePercent: maxThrottle } : {}),
    sampleCount: e.samples.length,
  };
}

// ---- timeline ---------------------------------------------------------------------------------------------------

export type TimelineKind = 'event' | 'pass' | 'sample-error';

export interface TimelineItem {
  /** ms since the epoch. */
  readonly at: number;
  /** The record's own event kind (started, control, ended...), or `pass` / `sample-error` for what samples show. */
  readonly kind: string;
  readonly source: TimelineKind;
  readonly text: string;
}

/** A pass change is when QEMU's iteration counter goes up between two samples; the first one seen is a pass too. */
export function passChanges(samples: readonly MigrationSample[]): TimelineItem[] {
  const out: TimelineItem[] = [];
  let last: number | undefined;
  for (const s of samples) {
    const it = s.figures?.iteration;
    if (!finite(it) || (last !== undefined && it <= last)) continue;
    const remaining = s.figures?.remainingBytes;
    const tail = finite(remaining) ? ` (${(remaining / 1048576).toFixed(1)} MiB remaining)` : '';
    out.push({ at: s.at, kind: 'pass', source: 'pass', text: it === 1 ? `Pass 1: first copy of guest memory${tail}` : `Pass ${it}: re-sending dirtied pages${tail}` });
    last = it;
  }
  return out;
}

/** Events and pass changes in time order (events first on a tie: a control explains the pass after it). */
export function migrationTimeline(e: ReportEntry): TimelineItem[] {
  const events: TimelineItem[] = e.record.events.map((ev) => ({ at: ev.at, kind: ev.kind, source: 'event', text: ev.text }));
  const errors: TimelineItem[] = [];
  let lastError: string | undefined;
  for (const s of e.samples) {
    const m = s.error?.message;
    if (m !== undefined && m !== lastError) errors.push({ at: s.at, kind: 'sample-error', source: 'sample-error', text: `Sample ${s.seq} failed: ${m}` });
    lastError = m;
  }
  const rank = (i: TimelineItem) => (i.source === 'event' ? 0 : i.source === 'pass' ? 1 : 2);
  return [...events, ...passChanges(e.samples), ...errors].sort((a, b) => a.at - b.at || rank(a) - rank(b));
}

// ---- comparison -------------------------------------------------------------------------------------------------

export const COMPARED_METRICS = [
  { key: 'totalTimeMs', label: 'Total time', unit: 'ms' },
  { key: 'downtimeMs', label: 'Downtime', unit: 'ms' },
  { key: 'dataBytes', label: 'Data sent', unit: 'bytes' },
  { key: 'maxDirtyRateBytesPerSecond', label: 'Max dirty rate', unit: 'bytes/s' },
  { key: 'meanThroughputBytesPerSecond', label: 'Mean throughput', unit: 'bytes/s' },
  { key: 'iterations', label: 'Passes (iterations)', unit: 'count' },
] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

export interface ComparisonRow {
  readonly metric: ComparedMetric;
  readonly a?: number;
  readonly b?: number;
  /** b - a. */
  readonly diff?: number;
  /** (b - a) / a x 100; absent when a is 0 or either is unknown. */
  readonly pct?: number;
}

/** B against A ("after" against "before"): differences are B minus A. */
export function compareMigrations(a: ReportEntry, b: ReportEntry): ComparisonRow[] {
  const fa = migrationFigures(a);
  const fb = migrationFigures(b);
  return COMPARED_METRICS.map((metric) => {
    const va = fa[metric.key];
    const vb = fb[metric.key];
    const both = va !== undefined && vb !== undefined;
    return {
      metric,
      ...(va !== undefined ? { a: va } : {}),
      ...(vb !== undefined ? { b: vb } : {}),
      ...(both ? { diff: vb - va } : {}),
      ...(both && va !== 0 ? { pct: ((vb - va) / va) * 100 } : {}),
    };
  });
}

/** Two runs can be compared when they moved the same VM (the caller picks two different entries). */
export function comparable(a: ReportEntry['record'], b: ReportEntry['record']): boolean {
  return a.vm === b.vm;
}

/** `+12.5 %`, `−3.0 %` (a minus sign, like the differences shown beside it), `—` when it cannot be known. */
export function formatChange(pct: number | undefined): string {
  if (pct === undefined || !Number.isFinite(pct)) return '—';
  const rounded = Math.abs(pct).toFixed(1);
  return `${rounded === '0.0' ? '' : pct > 0 ? '+' : '−'}${rounded} %`;
}
