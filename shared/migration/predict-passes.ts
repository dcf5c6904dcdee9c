/**
 * A run's domjobinfo samples cut into pre-copy passes, and what a completed run's statistics add after the last
 * sampled pass (predict-inputs.ts turns both into the prediction's inputs). Pure.
 */
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';

export const DEFAULT_PAGE = 4096;
/**
 * A tail shorter than this is not used: QEMU itself rates dirtying only over periods of at least 1 s, and a short
 * tail is dominated by what the last syncs catch besides the working set (the stop, the guest's own bookkeeping).
 */
const TAIL_MIN_SECONDS = 1;

/** A sample as the estimator reads it (a journal sample or a fixture's). */
export interface EstimatorSample {
  readonly info?: DomainJobInfo;
}

/** One pre-copy pass (domjobinfo `iteration`), job time in ms. */
export interface PrecopyPass {
  readonly pass: number;
  /** Job time it began (pass 1: when memory began to move); absent when the pass before it was not sampled. */
  readonly beganMs?: number;
  /** Job time it ended; absent when the run ended during it or the next pass was not sampled. */
  readonly endedMs?: number;
  /** Bytes it sent (pages and their headers); absent when its start or end is not known. */
  readonly sentBytes?: number;
  /** Memory left to send when it began: the whole memory for pass 1, the dirtied set it re-sends for later ones. */
  readonly remainingAtStartBytes?: number;
  /** QEMU's dirty rate during it (median of its samples), bytes/s. */
  readonly dirtyRateBytesPerSecond?: number;
  /** Highest auto-converge throttle seen in it, percent (0 when none). */
  readonly throttlePercent: number;
  /** Its samples' median reported bandwidth, bytes/s. */
  readonly bandwidthBytesPerSecond?: number;
  readonly samples: number;
}

export interface Point {
  readonly t: number;
  readonly processed: number;
  readonly remaining: number;
  readonly info: DomainJobInfo;
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export const defined = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

export function pointsOf(samples: readonly EstimatorSample[]): Point[] {
  const pts: Point[] = [];
  for (const s of samples) {
    const i = s.info;
    if (!i || i.iteration === undefined || i.iteration < 1) continue;
    if (i.timeElapsedMs === undefined || i.memoryProcessedBytes === undefined || i.memoryRemainingBytes === undefined) continue;
    if (i.type !== 'unbounded' && i.type !== 'bounded') continue;
    pts.push({ t: i.timeElapsedMs, processed: i.memoryProcessedBytes, remaining: i.memoryRemainingBytes, info: i });
  }
  return pts.sort((a, b) => a.t - b.t);
}

/** Job time at which `processed` bytes had gone, interpolated between samples (extrapolated at the reported rate before the first). */
function timeAt(pts: readonly Point[], processed: number): number | undefined {
  const first = pts[0];
  if (!first) return undefined;
  if (processed <= first.processed) {
    // The first sample often reports no bandwidth yet: the run's typical one then.
    const bw = first.info.memoryBandwidthBytesPerSecond ?? median(defined(pts.map((p) => p.info.memoryBandwidthBytesPerSecond)).filter((b) => b > 0)) ?? 0;
    return bw > 0 ? Math.max(0, first.t - ((first.processed - processed) / bw) * 1000) : undefined;
  }
  for (let k = 1; k < pts.length; k++) {
    const a = pts[k - 1] as Point;
    const b = pts[k] as Point;
    if (processed <= b.processed) {
      const span = b.processed - a.processed;
      return span <= 0 ? b.t : a.t + ((processed - a.processed) / span) * (b.t - a.t);
    }
  }
  return undefined;
}

/** The run's samples cut into pre-copy passes, oldest first (passes never sampled are missing). */
export function passesOf(samples: readonly EstimatorSample[]): PrecopyPass[] {
  const pts = pointsOf(samples);
  if (pts.length === 0) return [];
  const groups: Point[][] = [];
  for (const p of pts) {
    const last = groups[groups.length - 1];
    if (last && (last[0] as Point).info.iteration === p.info.iteration) last.push(p);
    else groups.push([p]);
  }
  const pageSize = pts.find((p) => p.info.pageSizeBytes)?.info.pageSizeBytes ?? DEFAULT_PAGE;
  const memoryTotal = pts.find((p) => p.info.memoryTotalBytes !== undefined)?.info.memoryTotalBytes;
  // Where each pass ends, in bytes processed.
  const ends: (number | undefined)[] = groups.map((g, k) => {
    const next = groups[k + 1];
    if (!next) return undefined;
    const pass = (g[0] as Point).info.iteration as number;
    const lastHere = (g[g.length - 1] as Point).processed;
    const firstNext = (next[0] as Point).processed;
    let end: number;
    if (pass === 1) {
      // Pass 1's remaining counts zero pages that cost next to nothing: find its end from the pages instead. Every
      // page goes once in pass 1 (as a zero flag or whole), so pages beyond one sweep were sent by the next pass.
      const n = next[0] as Point;
      const pages = (n.info.normalPages ?? 0) + (n.info.constantPages ?? 0);
      const sweep = memoryTotal !== undefined ? Math.ceil(memoryTotal / pageSize) : pages;
      end = firstNext - Math.max(0, pages - sweep) * pageSize;
    } else {
      end = median(g.map((p) => p.processed + p.remaining)) as number;
    }
    return Math.min(Math.max(end, lastHere), firstNext);
  });
  return groups.map((g, k) => {
    const pass = (g[0] as Point).info.iteration as number;
    const prevGroup = groups[k - 1];
    const prevIsPrevPass = prevGroup !== undefined && (prevGroup[0] as Point).info.iteration === pass - 1;
    const start = pass === 1 ? 0 : prevIsPrevPass ? ends[k - 1] : undefined;
    const end = ends[k];
    const constant = pass === 1 ? undefined : median(g.map((p) => p.processed + p.remaining));
    const remainingAtStart = pass === 1 ? memoryTotal : start !== undefined && constant !== undefined ? Math.max(0, constant - start) : undefined;
    const dirty = median(defined(g.map((p) => (p.info.dirtyRatePagesPerSecond !== undefined ? p.info.dirtyRatePagesPerSecond * (p.info.pageSizeBytes ?? pageSize) : undefined))));
    const bw = median(defined(g.map((p) => p.info.memoryBandwidthBytesPerSecond)));
    const began = start !== undefined ? timeAt(pts, start) : undefined;
    const ended = end !== undefined ? timeAt(pts, end) : undefined;
    return {
      pass,
      ...(began !== undefined ? { beganMs: began } : {}),
      ...(ended !== undefined ? { endedMs: ended } : {}),
      ...(start !== undefined && end !== undefined ? { sentBytes: Math.max(0, end - start) } : {}),
      ...(remainingAtStart !== undefined ? { remainingAtStartBytes: remainingAtStart } : {}),
      ...(dirty !== undefined ? { dirtyRateBytesPerSecond: dirty } : {}),
      throttlePercent: Math.max(0, ...g.map((p) => p.info.autoConvergeThrottlePercent ?? 0)),
      ...(bw !== undefined ? { bandwidthBytesPerSecond: bw } : {}),
      samples: g.length,
    };
  });
}

/** A completed run's tail after its last sampled pass: fresh bytes dirtied from that pass's sync to the stop. */
export function tailRate(passes: readonly PrecopyPass[], final: DomainJobInfo | undefined, leftover: number, rate: number): { bytes: number; seconds: number; pendingBytes: number } | undefined {
  const processed = final?.memoryProcessedBytes;
  if (!final || processed === undefined || final.timeElapsedMs === undefined || rate <= 0) return undefined;
  const last = [...passes].reverse().find((p) => p.pass >= 2 && p.beganMs !== undefined && p.remainingAtStartBytes !== undefined);
  if (!last || last.beganMs === undefined || last.remainingAtStartBytes === undefined) return undefined;
  // Where that pass would end if it sent all it had pending (its processed + remaining): every pass before it sent
  // plus what it re-sent. A pass before it never sampled leaves that unknown (NaN, no tail).
  const constant = passes.filter((p) => p.pass < last.pass).reduce((sum, p) => sum + (p.sentBytes ?? NaN), 0) + last.remainingAtStartBytes;
  const syncMs = last.pass === 2 ? last.beganMs : last.beganMs - (leftover / rate) * 1000;
  const stopMs = final.timeElapsedMs - (final.totalDowntimeMs ?? 0);
  const bytes = processed - constant;
  const seconds = (stopMs - syncMs) / 1000;
  if (!(bytes > 0) || !(seconds >= TAIL_MIN_SECONDS)) return undefined;
  return { bytes, seconds, pendingBytes: last.remainingAtStartBytes };
}
