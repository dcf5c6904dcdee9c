/**
 * Figures derived from successive domjobinfo samples. Pure: both the main process (verdicts, journal) and the
 * renderer (charts) use it.
 *
 * Rates prefer what QEMU reports (`Memory bandwidth`, `Dirty rate` x page size). Where virsh omits the bandwidth
 * line (it hides a zero rate, e.g. a stalled migration) the throughput is computed from the cumulative `Memory
 * processed` counter over the job's own elapsed time; that needs a previous sample of the same job and a positive
 * time delta, and is otherwise "no value" (undefined), never a made-up zero.
 */
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import { pagesPerSecondToBytesPerSecond } from '../units';

export interface DerivedJobFigures {
  readonly elapsedMs?: number;
  /** Bytes per second actually moved; `throughputSource` says where the figure came from. */
  readonly throughputBytesPerSecond?: number;
  readonly throughputSource?: 'reported' | 'counter';
  /** Bytes per second the guest dirties (pages/s x page size). */
  readonly dirtyRateBytesPerSecond?: number;
  readonly processedBytes?: number;
  readonly remainingBytes?: number;
  readonly totalBytes?: number;
  readonly iteration?: number;
  readonly expectedDowntimeMs?: number;
  /** Share of guest memory not still waiting to be sent in this pass, 0..1 (not a promise of completion). */
  readonly passProgress?: number;
}

/** Bytes/s from two readings of a cumulative counter; undefined when it cannot be known. */
export function counterRate(
  previous: { value?: number | undefined; atMs?: number | undefined } | undefined,
  current: { value?: number | undefined; atMs?: number | undefined },
): number | undefined {
  if (!previous) return undefined;
  const { value: v0, atMs: t0 } = previous;
  const { value: v1, atMs: t1 } = current;
  if (v0 === undefined || v1 === undefined || t0 === undefined || t1 === undefined) return undefined;
  const dt = t1 - t0;
  const dv = v1 - v0;
  if (!(dt > 0) || dv < 0) return undefined; // a counter going backwards is a new job, not a negative rate
  return (dv * 1000) / dt;
}

function isSameRunningJob(a: DomainJobInfo | undefined, b: DomainJobInfo): a is DomainJobInfo {
  return (
    a !== undefined &&
    a.operation === b.operation &&
    a.timeElapsedMs !== undefined &&
    b.timeElapsedMs !== undefined &&
    b.timeElapsedMs >= a.timeElapsedMs
  );
}

export function deriveJobFigures(current: DomainJobInfo, previous?: DomainJobInfo): DerivedJobFigures {
  const out: { -readonly [K in keyof DerivedJobFigures]: DerivedJobFigures[K] } = {};
  const set = <K extends keyof DerivedJobFigures>(key: K, value: DerivedJobFigures[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };

  set('elapsedMs', current.timeElapsedMs);
  set('processedBytes', current.memoryProcessedBytes);
  set('remainingBytes', current.memoryRemainingBytes);
  set('totalBytes', current.memoryTotalBytes);
  set('iteration', current.iteration);
  set('expectedDowntimeMs', current.expectedDowntimeMs);

  if (current.dirtyRatePagesPerSecond !== undefined && current.pageSizeBytes !== undefined) {
    out.dirtyRateBytesPerSecond = pagesPerSecondToBytesPerSecond(current.dirtyRatePagesPerSecond, current.pageSizeBytes);
  }

  if (current.memoryBandwidthBytesPerSecond !== undefined && current.memoryBandwidthBytesPerSecond > 0) {
    out.throughputBytesPerSecond = current.memoryBandwidthBytesPerSecond;
    out.throughputSource = 'reported';
  } else {
    const rate = isSameRunningJob(previous, current)
      ? counterRate(
          { value: previous.memoryProcessedBytes, atMs: previous.timeElapsedMs },
          { value: current.memoryProcessedBytes, atMs: current.timeElapsedMs },
        )
      : undefined;
    if (rate !== undefined) {
      out.throughputBytesPerSecond = rate;
      out.throughputSource = 'counter';
    }
  }

  if (current.memoryTotalBytes !== undefined && current.memoryRemainingBytes !== undefined && current.memoryTotalBytes > 0) {
    out.passProgress = Math.min(1, Math.max(0, 1 - current.memoryRemainingBytes / current.memoryTotalBytes));
  }
  return out;
}
