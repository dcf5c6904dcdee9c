/**
 * What the migration chart draws, in the units it draws them: seconds since the start on x, MiB/s for the two rates
 * (on ONE axis, so "dirty rate at or above throughput" is visible as one line over the other), MiB remaining, ms of
 * expected downtime. Pure; the chart downsamples each series with LTTB (shared/migration/lttb.ts).
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
}

export interface ChartSeries {
  readonly dirty: XY[];
  readonly throughput: XY[];
  readonly remaining: XY[];
  readonly downtime: XY[];
  /** Samples in, before downsampling. */
  readonly sampleCount: number;
  readonly lastT: number;
}

/** Per series, at most `threshold` points. */
export function chartSeries(points: readonly ChartPoint[], threshold = CHART_MAX_POINTS): ChartSeries {
  const s = downsampleSeries(
    points,
    (p) => p.t,
    {
      dirty: (p) => p.dirtyMiBps,
      throughput: (p) => p.throughputMiBps,
      remaining: (p) => p.remainingMiB,
      downtime: (p) => p.downtimeMs,
    },
    threshold,
  );
  return { ...s, sampleCount: points.length, lastT: points.at(-1)?.t ?? 0 };
}

const MiB = 1024 * 1024;
/** From the derived figures of one sample (bytes, bytes/s) to the chart's units. */
export function chartPoint(
  elapsedMs: number,
  f: { dirtyRateBytesPerSecond?: number | undefined; throughputBytesPerSecond?: number | undefined; remainingBytes?: number | undefined; expectedDowntimeMs?: number | undefined },
): ChartPoint {
  return {
    t: elapsedMs / 1000,
    dirtyMiBps: f.dirtyRateBytesPerSecond === undefined ? undefined : f.dirtyRateBytesPerSecond / MiB,
    throughputMiBps: f.throughputBytesPerSecond === undefined ? undefined : f.throughputBytesPerSecond / MiB,
    remainingMiB: f.remainingBytes === undefined ? undefined : f.remainingBytes / MiB,
    downtimeMs: f.expectedDowntimeMs,
  };
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
