/**
 * What the live verdict reads from a run of domjobinfo samples: the samples of the current job, the smallest memory
 * left in each pass, passes that did not shrink, how long nothing has moved, the recent throughput and how memory
 * left behaves at auto-converge's maximum throttle. The thresholds here are the ones these readings share with the
 * verdict's decision (shared/migration/verdict.ts).
 */
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import type { DerivedJobFigures } from './derive';

export const DIRTY_RATIO = 0.9;
export const SHRINK_RATIO = 0.9;
/** QEMU's default max-cpu-throttle: auto-converge never throttles harder. */
export const MAX_THROTTLE_PERCENT = 99;

export interface VerdictSample {
  readonly info: DomainJobInfo;
  readonly figures: DerivedJobFigures;
}

/** Smallest remaining per pass, in pass order. */
export function minRemainingByPass(samples: readonly VerdictSample[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    const it = s.info.iteration;
    const r = s.info.memoryRemainingBytes;
    if (it === undefined || r === undefined) continue;
    const prev = out.get(it);
    out.set(it, prev === undefined ? r : Math.min(prev, r));
  }
  return out;
}

/** Finished passes from pass 2 on, trailing run of passes that did not shrink by 10 % against the one before. */
export function passesNotShrinking(byPass: Map<number, number>, current: number): number {
  const finished = [...byPass.entries()].filter(([it]) => it >= 2 && it < current).sort((a, b) => a[0] - b[0]);
  let run = 0;
  for (let i = finished.length - 1; i >= 1; i--) {
    const now = finished[i]?.[1] ?? 0;
    const before = finished[i - 1]?.[1] ?? 0;
    if (now >= SHRINK_RATIO * before) run++;
    else break;
  }
  return run;
}

/** Job time (ms) over which `Memory processed` has not moved, looking back from the last sample. */
export function stillFor(samples: readonly VerdictSample[]): number | undefined {
  const last = samples[samples.length - 1];
  const p = last?.info.memoryProcessedBytes;
  const t = last?.info.timeElapsedMs;
  if (last === undefined || p === undefined || t === undefined) return undefined;
  let since = t;
  for (let i = samples.length - 2; i >= 0; i--) {
    const s = samples[i];
    if (s?.info.memoryProcessedBytes !== p || s.info.timeElapsedMs === undefined) break;
    since = s.info.timeElapsedMs;
  }
  return t - since;
}


/** The samples of the job the last sample belongs to (a counter going backwards, or a new job, starts a new run). */
export function currentJob(samples: readonly VerdictSample[]): VerdictSample[] {
  let start = samples.length - 1;
  while (start > 0) {
    const a = samples[start - 1]?.info.timeElapsedMs;
    const b = samples[start]?.info.timeElapsedMs;
    if (a === undefined || b === undefined || b < a) break;
    start--;
  }
  return samples.slice(Math.max(0, start));
}

/** Highest throughput of the last three samples of the current pass: one slow sample does not change the call. */
export function recentThroughput(samples: readonly VerdictSample[], pass: number): number | undefined {
  let best: number | undefined;
  for (const s of samples.slice(-3)) {
    const t = s.figures.throughputBytesPerSecond;
    if ((s.info.iteration ?? 1) !== pass || t === undefined) continue;
    best = best === undefined ? t : Math.max(best, t);
  }
  return best;
}

export interface ThrottleAtMax {
  /** Expected downtime when the throttle reached its maximum, ms. */
  readonly fromMs?: number;
  /** Finished passes at the maximum, and how many of the last ones in a row did not fall. */
  readonly finishedPasses: number;
  readonly notFalling: number;
}

/**
 * How memory left behaves since auto-converge reached its maximum throttle: a finished pass "falls" when its
 * expected downtime (what was left at its boundary, as time) went below 90 % of the one when the throttle got
 * there, or its dirty rate below 90 % of the throughput.
 */
export function throttleAtMax(samples: readonly VerdictSample[], pass: number): ThrottleAtMax {
  let start = samples.length;
  while (start > 0 && (samples[start - 1]?.info.autoConvergeThrottlePercent ?? 0) >= MAX_THROTTLE_PERCENT) start--;
  const atMax = samples.slice(start);
  const fromMs = atMax[0]?.info.expectedDowntimeMs;
  const lastOfPass = new Map<number, VerdictSample>();
  for (const s of atMax) lastOfPass.set(s.info.iteration ?? 1, s);
  const finished = [...lastOfPass.entries()].filter(([it]) => it < pass).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  let notFalling = 0;
  for (let i = finished.length - 1; i >= 0; i--) {
    const s = finished[i];
    const e = s?.info.expectedDowntimeMs;
    const d = s?.figures.dirtyRateBytesPerSecond;
    const t = s?.figures.throughputBytesPerSecond;
    const falls = (e !== undefined && fromMs !== undefined && e < SHRINK_RATIO * fromMs) || (d !== undefined && t !== undefined && t > 0 && d < DIRTY_RATIO * t);
    if (falls) break;
    notFalling++;
  }
  return { ...(fromMs === undefined ? {} : { fromMs }), finishedPasses: finished.length, notFalling };
}
