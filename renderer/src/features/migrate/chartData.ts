/**
 * What the migration chart draws, in the units it draws them: seconds since the start on x, MiB/s for the two rates
 * (on ONE axis, so "dirty rate at or above throughput" is visible as one line over the other), auto-converge's
 * throttle in % (its own axis), MiB remaining, ms of expected downtime. Pure; the chart downsamples each series with
 * LTTB (shared/migration/lttb.ts).
 */
import { downsampleSeries, type XY } from '../../../../shared/migration/lttb';

/**
 * Points per series. Measured (bench/chart-render.ts): recharts costs ~16 us per drawn point on top of ~15 ms per
 * mount, so 4 x 1,000 points took ~80 ms and 4 x 500 ~47 ms. The plot is < 1,000 px wide at 1280x800: 500 points is
 * one every ~2 px, and LTTB keeps the peaks, so nothing visible is lost.
 */
export const CHART_MAX_POINTS = 500;

export interface ChartPoint {
  /** Seconds since the migration started. */
  readonly t: number;
  readonly dirtyMiBps?: number | undefined;
  readonly throughputMiBps?: number | undefined;
  readonly remainingMiB?: number | undefined;
  readonly downtimeMs?: number | undefined;
  /** Auto-converge's vCPU throttle, percent (absent until QEMU throttles). */
  readonly throttlePercent?: number | undefined;
}

/** A drawn point; `y: null` breaks the line (a gap in the samples is not a ramp). */
export interface ChartXY {
  readonly x: number;
  readonly y: number | null;
}

export interface ChartSeries {
  readonly dirty: ChartXY[];
  readonly throughput: ChartXY[];
  readonly remaining: ChartXY[];
  readonly downtime: ChartXY[];
  readonly throttle: ChartXY[];
  /** Samples in, before downsampling. */
  readonly sampleCount: number;
  /** Samples with at least one figure to draw. */
  readonly drawnSamples: number;
  readonly lastT: number;
  /** Spans (seconds) without samples: Ferry was not running, or re-attached to the job later. */
  readonly gaps: readonly { readonly from: number; readonly to: number }[];
}

/** A pause between samples longer than this many usual intervals (and 10 s) is a gap, not a slow sample. */
const GAP_INTERVALS = 10;
const GAP_MIN_S = 10;

/** Spans between consecutive samples far longer than the usual interval (the median of up to 200 of them). */
export function sampleGaps(points: readonly ChartPoint[]): { from: number; to: number }[] {
  if (points.length < 3) return [];
  const step = Math.max(1, Math.floor((points.length - 1) / 200));
  const diffs: number[] = [];
  for (let i = 1; i < points.length; i += step) diffs.push((points[i]?.t ?? 0) - (points[i - 1]?.t ?? 0));
  diffs.sort((a, b) => a - b);
  const usual = diffs[Math.floor(diffs.length / 2)] ?? 1;
  const limit = Math.max(GAP_MIN_S, GAP_INTERVALS * usual);
  const out: { from: number; to: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]?.t ?? 0;
    const b = points[i]?.t ?? 0;
    if (b - a > limit) out.push({ from: a, to: b });
  }
  return out;
}

/** The kept points of one series with a break (y: null) in every gap they span. */
function withBreaks(points: readonly XY[], gaps: readonly { from: number; to: number }[]): ChartXY[] {
  if (gaps.length === 0) return points as ChartXY[];
  const out: ChartXY[] = [];
  let g = 0;
  for (const p of points) {
    const prev = out.at(-1);
    while (g < gaps.length && (gaps[g]?.to ?? 0) <= p.x) {
      const gap = gaps[g];
      if (prev !== undefined && prev.y !== null && gap !== undefined && prev.x <= gap.from) out.push({ x: (gap.from + gap.to) / 2, y: null });
      g++;
    }
    out.push(p);
  }
  return out;
}

const hasFigure = (p: ChartPoint) =>
  p.dirtyMiBps !== undefined || p.throughputMiBps !== undefined || p.remainingMiB !== undefined || p.downtimeMs !== undefined || p.throttlePercent !== undefined;

/** Per series, at most `threshold` points (plus one break per gap). */
export function chartSeries(points: readonly ChartPoint[], threshold = CHART_MAX_POINTS): ChartSeries {
  const s = downsampleSeries(
    points,
    (p) => p.t,
    {
      dirty: (p) => p.dirtyMiBps,
      throughput: (p) => p.throughputMiBps,
      remaining: (p) => p.remainingMiB,
      downtime: (p) => p.downtimeMs,
      throttle: (p) => p.throttlePercent,
    },
    threshold,
  );
  const gaps = sampleGaps(points);
  let drawn = 0;
  for (const p of points) if (hasFigure(p)) drawn++;
  return {
    dirty: withBreaks(s.dirty, gaps),
    throughput: withBreaks(s.throughput, gaps),
    remaining: withBreaks(s.remaining, gaps),
    downtime: withBreaks(s.downtime, gaps),
    throttle: withBreaks(s.throttle, gaps),
    sampleCount: points.length,
    drawnSamples: drawn,
    lastT: points.at(-1)?.t ?? 0,
    gaps,
  };
}

const MiB = 1024 * 1024;
/** From the derived figures of one sample (bytes, bytes/s) and its throttle to the chart's units. */
export function chartPoint(
  elapsedMs: number,
  f: { dirtyRateBytesPerSecond?: number | undefined; throughputBytesPerSecond?: number | undefined; remainingBytes?: number | undefined; expectedDowntimeMs?: number | undefined },
  throttlePercent?: number,
): ChartPoint {
  return {
    t: elapsedMs / 1000,
    dirtyMiBps: f.dirtyRateBytesPerSecond === undefined ? undefined : f.dirtyRateBytesPerSecond / MiB,
    throughputMiBps: f.throughputBytesPerSecond === undefined ? undefined : f.throughputBytesPerSecond / MiB,
    remainingMiB: f.remainingBytes === undefined ? undefined : f.remainingBytes / MiB,
    downtimeMs: f.expectedDowntimeMs,
    throttlePercent,
  };
}

/**
 * Where post-copy began on the chart's time axis (seconds), or undefined. From the record's switch time (wall
 * clock, placed against the sample nearest before it, whose job time and wall time are both known); without it,
 * the first sample that was in post-copy.
 */
export function postcopyMarkerT(
  samples: readonly (ChartPoint & { readonly at?: number | undefined; readonly postcopy?: boolean | undefined })[],
  startedAtMs: number | undefined,
): number | undefined {
  if (startedAtMs !== undefined) {
    let ref: (typeof samples)[number] | undefined;
    for (const s of samples) {
      if (s.at === undefined) continue;
      if (ref === undefined || s.at <= startedAtMs) ref = s;
      if (s.at > startedAtMs) break;
    }
    if (ref?.at !== undefined) return Math.max(0, ref.t + (startedAtMs - ref.at) / 1000);
  }
  return samples.find((s) => s.postcopy === true)?.t;
}

/**
 * Labels for the time axis, given how long the chart spans (seconds). recharts places ticks at fractions of the
 * span, so a 3 s run gets ticks at 0.7 s steps: whole seconds there would read "1 s, 1 s, 2 s". Short spans keep
 * one decimal; long ones switch to minutes.
 */
export function timeTickFormatter(spanSeconds: number): (t: number) => string {
  if (spanSeconds < 10) return (t) => `${t.toFixed(1)} s`;
  return (t) => (spanSeconds >= 120 ? `${+(t / 60).toFixed(1)} min` : `${Math.round(t)} s`);
}
