/**
 * The prediction's inputs from what runs showed: one run's domjobinfo samples cut into pre-copy passes, the estimates
 * one run gives (working set, the guest's write speed, first-pass bytes, throughput, setup time), several runs folded
 * into one PredictionInputs, and the judgement of a `domdirtyrate-calc` reading against them. Pure.
 *
 * What a run can and cannot tell:
 * - During a pass (pass >= 2) QEMU's "memory remaining" only falls as pages go out (new writes wait in the dirty log
 *   until the next pass's bitmap sync), so processed + remaining is constant within it: that constant is where the
 *   pass ends, and the jump to the next pass's constant is what the guest dirtied while the pass was on the wire.
 * - That jump excludes what was still pending at the sync (a pass ends once less than the threshold is left), so
 *   when the passes keep re-sending the same amount however long they last, the guest is pinned at its working set
 *   (the hot set): that amount plus the leftover is the working set, and its write speed is known only from below (it
 *   rewrote the whole set within one pass). A run at a cap the guest out-writes (the lab's vmd at 8 MiB/s) says no
 *   more than that, but its end (still going after so long) and other runs' ends (converged at their cap) bound the
 *   write speed through the model itself (outcomeBounds).
 * - A completed run's statistics give its first pass (the zero pages) even when no sample came after pass 1.
 * - A throttled pass (auto-converge) shows the throttled guest: again only a lower bound of its write speed.
 * - A capped run that reached its cap says the link gives at least the cap, not what it gives without one.
 * - Setup is job time before memory moved (connection, destination QEMU start), from the first samples.
 */
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import { formatBytes, formatBytesPerSecond } from '../units';
import type { DirtyRateReading } from '../parsers/virsh-dirtyrate';
import type { Estimate, PredictionInputs, PredictionSource } from './predict-schema';
import { DEFAULT_MAX_DOWNTIME_MS } from './predict';
import { CHUNK_SECONDS_CAPPED, CHUNK_SECONDS_UNCAPPED, simulatePrecopy } from './predict-sim';
import { DEFAULT_PAGE, defined, median, passesOf, pointsOf, tailRate, type EstimatorSample, type Point, type PrecopyPass } from './predict-passes';

export { passesOf, type EstimatorSample, type PrecopyPass } from './predict-passes';

const MiB = 1024 * 1024;

/** A pass re-sending at least this share of the largest later re-send counts as pinned at the working set. */
const PINNED_SHARE = 0.8;
/** A re-send at least this share of the one before it has not shrunk (pinned passes vary by a few percent). */
const NOT_SHRINKING = 0.95;
/**
 * Where only a lower bound was measured (write speed pinned at the working set, a capped link), the range's high end
 * is this many times the bound: nothing measured caps it, and the model needs an upper end to say "uncertain".
 */
export const LOWER_BOUND_SPAN = 4;
/** A run reaching this share of its cap was limited by the cap. */
const CAP_REACHED = 0.85;
/** Earlier runs older than this are not used (the guest's workload changes). */
export const HISTORY_MAX_AGE_MS = 90 * 24 * 3600 * 1000;
/** Runs of one VM used at most (newest first). */
export const HISTORY_MAX_RUNS = 5;
/** Guest memory differing by more than this share makes a run another VM's as far as estimates go. */
const SAME_MEMORY = 0.05;

// ---- one run ---------------------------------------------------------------------------------------------------

/** One earlier (or trial) run as the estimator needs it. */
export interface EstimatorRun {
  readonly id: string;
  readonly vm: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** The bandwidth cap in force, MiB/s (absent: none). */
  readonly bandwidthMiBps?: number;
  /** The max downtime in force, ms (absent: libvirt's default). */
  readonly maxDowntimeMs?: number;
  readonly samples: readonly EstimatorSample[];
  /** The completed statistics (`domjobinfo --completed`), when the run completed. */
  readonly final?: DomainJobInfo;
}

/** The estimates one run gives, with what kind of knowledge each is. */
export interface RunEstimates {
  readonly runId: string;
  readonly vm: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  readonly startedAt: number;
  readonly memoryTotalBytes?: number;
  readonly passes: readonly PrecopyPass[];
  readonly workingSetBytes?: Estimate;
  /** true when later passes kept re-sending the same amount (the working set is that amount, not just at least it). */
  readonly pinned: boolean;
  readonly writeBytesPerSecond?: Estimate;
  /** true when the write speed is only a lower bound (pinned at the working set, or throttled). */
  readonly writeLowerBoundOnly: boolean;
  /** What the write speed was read from, kept so that combineRuns can read it again with the working set it settles. */
  readonly writeEvidence?: WriteEvidence;
  readonly firstPassBytes?: Estimate;
  /** Throughput really obtained, bytes/s; absent when memory barely moved (a stalled run says nothing of the link). */
  readonly throughputBytesPerSecond?: Estimate;
  /** true when the run ran at its cap: the link gives at least that. */
  readonly capLimited: boolean;
  readonly setupMs?: Estimate;
  /** How a plain pre-copy run ended (absent for throttled, post-copy or barely sampled runs): evidence on the write speed. */
  readonly outcome?: RunOutcome;
}

/** A plain pre-copy run's end: converged at this rate, or still going after this much job time. */
export interface RunOutcome {
  readonly converged: boolean;
  readonly elapsedMs: number;
  readonly bandwidthBytesPerSecond: number;
  readonly capped: boolean;
  readonly maxDowntimeMs: number;
}

function estimate(value: number, low: number, high: number, source: PredictionSource, basis: string): Estimate {
  const lo = Math.max(0, Math.min(low, value));
  const hi = Math.max(high, value);
  return { value: Math.max(0, value), low: lo, high: Math.max(lo, hi), source, basis };
}

const rate = (b: number) => formatBytesPerSecond(b, 1);
const size = (b: number) => formatBytes(b, 1);

/** The estimates one run gives; `source` is 'history' for a journalled run, 'trial' for a trial pre-copy. */
export function estimateFromRun(run: EstimatorRun, source: PredictionSource = 'history'): RunEstimates {
  const passes = passesOf(run.samples);
  const pts = pointsOf(run.samples);
  const info = pts[0]?.info;
  const memoryTotal = info?.memoryTotalBytes;
  const pageSize = info?.pageSizeBytes ?? DEFAULT_PAGE;
  const label = `run ${run.id}`;

  // The leftover: a pass ends (QEMU syncs the bitmap) once less than the threshold (bandwidth x max downtime) is
  // left, one send-chunk short of it on average. Those unsent pages join the next pass, so a pass's measured re-send
  // (the jump of processed + remaining) is what was dirtied that was not already pending: a pinned pass re-sends the
  // working set minus the leftover.
  const cap = run.bandwidthMiBps !== undefined ? run.bandwidthMiBps * MiB : undefined;
  const bws = defined(pts.map((p) => p.info.memoryBandwidthBytesPerSecond)).filter((b) => b > 0);
  const runRate = cap ?? median(bws) ?? 0;
  const maxDowntimeMs = run.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS;
  const threshold = (runRate * maxDowntimeMs) / 1000;
  const chunk = runRate * (cap !== undefined ? CHUNK_SECONDS_CAPPED : CHUNK_SECONDS_UNCAPPED);
  const leftover = Math.max(0, threshold - chunk / 2);

  // Working set: what passes after the second re-send (pass 2 also carries what pass 1's long sweep left dirty).
  // Pinned: passes that re-send about the most and do not shrink from the pass before (shrinking passes are the
  // guest's write speed at work, not its working set).
  const resends = passes.filter((p) => p.pass >= 3 && p.remainingAtStartBytes !== undefined);
  const most = Math.max(0, ...resends.map((p) => p.remainingAtStartBytes as number));
  const resendOf = (n: number) => resends.find((q) => q.pass === n)?.remainingAtStartBytes;
  const holds = (p: PrecopyPass) => {
    const r = p.remainingAtStartBytes as number;
    const before = resendOf(p.pass - 1);
    const after = resendOf(p.pass + 1);
    return (before !== undefined && r >= NOT_SHRINKING * before) || (after !== undefined && after >= NOT_SHRINKING * r);
  };
  const pinnedPasses = resends.filter((p) => most > 0 && (p.remainingAtStartBytes as number) >= PINNED_SHARE * most && holds(p));
  const pinned = pinnedPasses.length >= 2;
  const pinnedSet = new Set(pinned ? resends.filter((p) => (p.remainingAtStartBytes as number) >= PINNED_SHARE * most).map((p) => p.pass) : []);
  const memCap = memoryTotal ?? Infinity;
  let workingSetBytes: Estimate | undefined;
  if (pinned) {
    const sets = pinnedPasses.map((p) => p.remainingAtStartBytes as number);
    const v = Math.min((median(sets) as number) + leftover, memCap);
    const lo = Math.min(Math.min(...sets) + Math.max(0, threshold - chunk), v);
    workingSetBytes = estimate(v, lo, Math.min(Math.max(...sets) + threshold, memCap), source, `${pinnedPasses.length} passes of ${label} each re-sent about ${size(v - leftover)} besides the ~${size(leftover)} left pending: the guest's hot set.`);
  } else if (most > 0) {
    const pass2 = passes.find((p) => p.pass === 2)?.remainingAtStartBytes;
    const v = Math.min(most + leftover, memCap);
    workingSetBytes = estimate(v, v, Math.min(Math.max(most, pass2 ?? most) + threshold, memCap), source, `${label} re-sent at most ${size(most)} in a pass (besides the ~${size(leftover)} left pending) and never stayed there: at least that much.`);
  }

  // First pass: zero pages go as flags, so it sends memory minus the zero pages (the completed statistics count
  // them when no sample came after pass 1).
  let firstPassBytes: Estimate | undefined;
  const p1 = passes.find((p) => p.pass === 1);
  const afterFirst = pts.find((p) => (p.info.iteration ?? 0) >= 2)?.info ?? ((run.final?.iteration ?? 0) >= 2 ? run.final : undefined);
  if (p1 && afterFirst && memoryTotal !== undefined) {
    const fromPages = afterFirst.constantPages !== undefined ? Math.max(0, memoryTotal - afterFirst.constantPages * pageSize) : undefined;
    const values = defined([p1.sentBytes, fromPages]);
    if (values.length > 0) {
      const v = p1.sentBytes ?? (fromPages as number);
      firstPassBytes = estimate(v, Math.min(...values), Math.max(...values), source, `Pass 1 of ${label} sent ${size(v)} of ${size(memoryTotal)} (zero pages go as flags).`);
    }
  }

  // A completed run whose later passes were never sampled: all it re-sent after pass 1 bounds the working set from
  // above (pass 2 re-sends what the long first pass left dirty), the average later pass from below.
  const final = run.final;
  const finalSent = final?.memoryProcessedBytes ?? final?.dataProcessedBytes;
  if (!workingSetBytes && final && firstPassBytes && finalSent !== undefined && (final.iteration ?? 0) >= 2) {
    const resent = Math.max(0, finalSent - firstPassBytes.value);
    const later = (final.iteration as number) - 1;
    if (resent > 0) workingSetBytes = estimate(resent, resent / later, resent, source, `${label} completed after re-sending ${size(resent)} in ${later} later passes: at most that much.`);
  }

  // Write speed: what a pass re-sends was written while the pass before it was on the wire, minus what was already
  // pending (writeSpeed undoes that overlap with the working set on hand; combineRuns again with the one it settles).
  const items: WriteEvidence['items'][number][] = [];
  for (const p of passes) {
    if (p.pass < 2 || p.remainingAtStartBytes === undefined) continue;
    const before = passes.find((q) => q.pass === p.pass - 1);
    if (!before || before.beganMs === undefined || before.endedMs === undefined || before.endedMs <= before.beganMs) continue;
    // Pass 2 also carries what the sweep left dirty outside the working set: only a bound, used when nothing else is.
    const kind = p.pass === 2 ? 'pass2' : pinnedSet.has(p.pass) || before.throttlePercent > 0 ? 'bound' : 'measured';
    items.push({ kind, freshBytes: p.remainingAtStartBytes, seconds: (before.endedMs - before.beganMs) / 1000, pendingBytes: (before.remainingAtStartBytes ?? 0) + leftover });
  }
  // The tail: a completed run's statistics count every byte it sent, so what it sent beyond the last sampled pass's
  // end (processed + remaining during that pass) is what the guest dirtied from that pass's bitmap sync until it
  // stopped, passes too short to sample included. Pass 1 aside, a sync happens once less than the threshold is left,
  // a leftover's sending-time before the sampled pass boundary (which is where the pass would end if it sent all).
  // Not for a run pinned at its working set or throttled: its tail too shows only a lower bound.
  const tail = !pinned && passes.every((p) => p.throttlePercent === 0) ? tailRate(passes, run.final, leftover, runRate) : undefined;
  if (tail) items.push({ kind: 'measured', freshBytes: tail.bytes, seconds: tail.seconds, pendingBytes: tail.pendingBytes + leftover });
  const writeEvidence: WriteEvidence = { leftoverBytes: leftover, items, tail: tail !== undefined };
  const { writeBytesPerSecond, writeLowerBoundOnly } = writeSpeed(writeEvidence, workingSetBytes?.value, source, label);

  // Throughput really obtained: the reported bandwidth while memory moved; a stalled run gives none.
  let throughputBytesPerSecond: Estimate | undefined;
  let capLimited = false;
  const moved = pts.length > 1 ? (pts[pts.length - 1] as Point).processed - (pts[0] as Point).processed : 0;
  if (bws.length >= 2 && moved > 0) {
    const v = median(bws) as number;
    capLimited = cap !== undefined && v >= CAP_REACHED * cap;
    throughputBytesPerSecond = capLimited
      ? estimate(v, v, v * LOWER_BOUND_SPAN, source, `${label} ran at its ${run.bandwidthMiBps} MiB/s cap: the link gives at least ${rate(v)}.`)
      : estimate(v, Math.min(...bws), Math.max(...bws), source, `${label} moved memory at ${rate(v)}${cap !== undefined ? `, below its ${run.bandwidthMiBps} MiB/s cap` : ' without a cap'}.`);
  }

  // Setup: job time before memory moved, between the last sample without memory and the first with it.
  let setupMs: Estimate | undefined;
  const p1began = p1?.beganMs;
  if (p1began !== undefined && throughputBytesPerSecond && pts[0] && pts[0].info.iteration === 1) {
    const before = run.samples.map((s) => s.info).filter((i): i is DomainJobInfo => i !== undefined && i.memoryProcessedBytes === undefined && i.timeElapsedMs !== undefined);
    const low = Math.max(0, ...before.map((i) => i.timeElapsedMs as number).filter((t) => t <= p1began));
    setupMs = estimate(p1began, low, pts[0].t, source, `Memory began to move about ${Math.round(p1began)} ms into the job in ${label}.`);
  }

  // How it ended: a plain run's convergence (or not, after this long) bounds the write speed (combineRuns).
  const lastPt = pts[pts.length - 1];
  const plain = runRate > 0 && passes.every((p) => p.throttlePercent === 0) && (final?.postcopyRequests ?? 0) === 0;
  const elapsed = final ? final.timeElapsedMs : lastPt !== undefined && (lastPt.info.iteration ?? 0) >= 2 ? lastPt.t : undefined;
  const outcome: RunOutcome | undefined = plain && elapsed !== undefined
    ? { converged: final !== undefined, elapsedMs: elapsed, bandwidthBytesPerSecond: runRate, capped: cap !== undefined, maxDowntimeMs }
    : undefined;

  return {
    runId: run.id,
    vm: run.vm,
    sourceHostId: run.sourceHostId,
    destinationHostId: run.destinationHostId,
    startedAt: run.startedAt,
    ...(memoryTotal !== undefined ? { memoryTotalBytes: memoryTotal } : {}),
    passes,
    ...(workingSetBytes ? { workingSetBytes } : {}),
    pinned,
    ...(writeBytesPerSecond ? { writeBytesPerSecond } : {}),
    writeLowerBoundOnly,
    ...(items.length > 0 ? { writeEvidence } : {}),
    ...(firstPassBytes ? { firstPassBytes } : {}),
    ...(throughputBytesPerSecond ? { throughputBytesPerSecond } : {}),
    capLimited,
    ...(setupMs ? { setupMs } : {}),
    ...(outcome ? { outcome } : {}),
  };
}

/** A run's evidence on the write speed: re-sent (fresh) bytes over the time they were written in. */
export interface WriteEvidence {
  /** Pending at each sync besides what the guest wrote: the leftover the fresh bytes exclude. */
  readonly leftoverBytes: number;
  readonly items: readonly {
    /** measured; bound: a pinned or throttled pass (only a lower bound); pass2: also the sweep's other writes. */
    readonly kind: 'measured' | 'bound' | 'pass2';
    readonly freshBytes: number;
    readonly seconds: number;
    /** What the pass before had pending: the pool the leftover is drawn from. */
    readonly pendingBytes: number;
  }[];
  /** Whether a completed run's tail is among the measurements. */
  readonly tail: boolean;
}

/**
 * The write speed from a run's evidence, with `set` as the working set. A measured re-send excludes the pages already
 * pending (taken to overlap by chance, as the model does): dirtied = re-sent / (1 - leftover / pool). The leftover is
 * the unsent end of what the pass before had pending, so the pool is that pending set, of which only the working set
 * is written again: after a pass 2 that re-sent more than the working set (what the long first pass left dirty
 * elsewhere), few leftover pages are ones the guest rewrites.
 */
export function writeSpeed(ev: WriteEvidence, set: number | undefined, source: PredictionSource, label: string): { writeBytesPerSecond?: Estimate; writeLowerBoundOnly: boolean } {
  const L = ev.leftoverBytes;
  const dirtied = (i: WriteEvidence['items'][number]) => {
    const pool = Math.max(set ?? 0, i.pendingBytes);
    return (pool > L ? i.freshBytes / Math.max(0.05, 1 - L / pool) : i.freshBytes) / i.seconds;
  };
  const measured = ev.items.filter((i) => i.kind === 'measured').map(dirtied);
  const bounds = ev.items.filter((i) => i.kind === 'bound').map(dirtied);
  const pass2Bounds = ev.items.filter((i) => i.kind === 'pass2').map((i) => i.freshBytes / i.seconds);
  if (measured.length > 0) {
    const v = median(measured) as number;
    const floor = Math.max(0, ...bounds);
    const tailWords = ev.tail ? ' and after its last sampled pass until the guest stopped' : '';
    return { writeBytesPerSecond: estimate(Math.max(v, floor), Math.min(...measured), Math.max(...measured, floor), source, `Dirtied per pass over the pass before it${tailWords}, ${measured.length} measurement(s) of ${label}.`), writeLowerBoundOnly: false };
  }
  if (bounds.length === 0 && pass2Bounds.length === 0) return { writeLowerBoundOnly: false };
  // The median: each bound holds, but pass times read between 1 s samples are noisy, and the highest is the noisiest.
  const b = bounds.length > 0 ? (median(bounds) as number) : Math.max(...pass2Bounds);
  return { writeBytesPerSecond: estimate(b, b, b * LOWER_BOUND_SPAN, source, `At least ${rate(b)}: every pass of ${label} re-sent the whole working set (or ran throttled, or only pass 2 was seen), so only a lower bound is known.`), writeLowerBoundOnly: true };
}

// ---- several runs ----------------------------------------------------------------------------------------------

export interface CombineTarget {
  readonly vm: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  /** The domain's memory now, bytes, when known: runs with another memory size are ignored. */
  readonly memoryBytes?: number;
}

export interface CombineOptions {
  readonly maxAgeMs?: number;
  readonly maxRuns?: number;
}

/** Newest weighted most (1, 1/2, 1/4, ...); the range covers every run's range, so their spread widens it. */
function fold(items: readonly Estimate[], basis: string): Estimate | undefined {
  if (items.length === 0) return undefined;
  let sum = 0;
  let weights = 0;
  items.forEach((e, k) => {
    const w = 2 ** -k;
    sum += w * e.value;
    weights += w;
  });
  const value = sum / weights;
  const sources = new Set(items.map((e) => e.source));
  const source: PredictionSource = sources.size === 1 ? (items[0] as Estimate).source : 'history';
  return estimate(value, Math.min(...items.map((e) => e.low)), Math.max(...items.map((e) => e.high)), source, items.length === 1 ? (items[0] as Estimate).basis : basis);
}

const sameMemory = (a: number, b: number) => Math.abs(a - b) <= SAME_MEMORY * Math.max(a, b);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Write speeds searched for a run's convergence line, as a multiple of its bandwidth. */
const OUTCOME_SEARCH_SPAN = 8;

/**
 * What the plain runs' ends say of the write speed, through the model itself at the working set and first pass on
 * hand: a run that converged was written slower than the speed where the model stops converging at its rate (a
 * ceiling); one still going when it ended, faster than the speed where the model would have ended by then (a floor).
 */
export function outcomeBounds(runs: readonly RunEstimates[], workingSetBytes: number, firstPassBytes: number, setupMs: number | undefined): { floor: number; ceiling: number } {
  let floor = 0;
  let ceiling = Infinity;
  for (const r of runs) {
    const o = r.outcome;
    if (!o) continue;
    const endsBy = (write: number) => {
      const sim = simulatePrecopy({
        firstPassBytes: r.firstPassBytes?.value ?? firstPassBytes,
        workingSetBytes,
        writeBytesPerSecond: write,
        bandwidthBytesPerSecond: o.bandwidthBytesPerSecond,
        capped: o.capped,
        maxDowntimeMs: o.maxDowntimeMs,
        setupMs: r.setupMs?.value ?? setupMs ?? 0,
      });
      return sim.converged && (o.converged || sim.totalMs <= o.elapsedMs);
    };
    const top = o.bandwidthBytesPerSecond * OUTCOME_SEARCH_SPAN;
    if (!endsBy(0) || endsBy(top)) continue;
    // Bisection for where it stops ending (the model's line is monotone in the write speed but for chunk rounding).
    let lo = 0;
    let hi = top;
    for (let k = 0; k < 20; k++) {
      const mid = (lo + hi) / 2;
      if (endsBy(mid)) lo = mid;
      else hi = mid;
    }
    if (o.converged) ceiling = Math.min(ceiling, hi);
    else floor = Math.max(floor, lo);
  }
  return { floor, ceiling };
}

/**
 * Several runs into one PredictionInputs: the VM's own runs (newest `maxRuns`, not older than `maxAgeMs`, with the
 * same memory size) for the guest's parts, the runs between the same two hosts (any VM) for the link.
 */
export function combineRuns(runs: readonly RunEstimates[], target: CombineTarget, now: number, options: CombineOptions = {}): PredictionInputs {
  const maxAge = options.maxAgeMs ?? HISTORY_MAX_AGE_MS;
  const notes: string[] = [];
  const recent = [...runs].filter((r) => now - r.startedAt <= maxAge).sort((a, b) => b.startedAt - a.startedAt);
  const oldOnes = runs.filter((r) => r.vm === target.vm && now - r.startedAt > maxAge).length;
  if (oldOnes > 0) notes.push(`${oldOnes} run(s) of ${target.vm} older than ${Math.round(maxAge / 86_400_000)} days were not used.`);

  const ofVm = recent.filter((r) => r.vm === target.vm);
  const memory = target.memoryBytes ?? ofVm.find((r) => r.memoryTotalBytes !== undefined)?.memoryTotalBytes;
  const fitting = ofVm.filter((r) => memory === undefined || r.memoryTotalBytes === undefined || sameMemory(r.memoryTotalBytes, memory));
  if (fitting.length < ofVm.length) notes.push(`${ofVm.length - fitting.length} run(s) of ${target.vm} with another memory size were not used.`);
  const used = fitting.slice(0, options.maxRuns ?? HISTORY_MAX_RUNS);
  const newest = used[0];
  const across = used.length > 1 ? `${used.length} earlier runs of ${target.vm}, newest ${newest ? day(newest.startedAt) : ''}` : '';

  // The working set: runs pinned at it measured it; the others only bound it (from below, or a completed run's
  // re-sends from above), so they count only when no run was pinned, and then lift the floor.
  const pinnedSets = defined(used.filter((r) => r.pinned).map((r) => r.workingSetBytes));
  const boundSets = defined(used.filter((r) => !r.pinned).map((r) => r.workingSetBytes));
  let workingSetBytes: Estimate | undefined;
  if (pinnedSets.length > 0) {
    const f = fold(pinnedSets, `Re-sent per pass in ${across}.`) as Estimate;
    const floor = Math.min(f.value, Math.max(f.low, ...boundSets.map((e) => e.low)));
    workingSetBytes = estimate(f.value, floor, f.high, f.source, f.basis);
  } else {
    workingSetBytes = fold(boundSets, `Re-sent per pass in ${across}.`);
  }
  // The first pass: the largest recent one is the likely one, since a running guest's memory only fills up (freed
  // pages keep their data; a run soon after boot finds more zero pages).
  const firstPasses = defined(used.map((r) => r.firstPassBytes));
  const firstFold = fold(firstPasses, `Pass 1 in ${across}.`);
  const firstPassBytes = firstFold ? estimate(Math.max(...firstPasses.map((e) => e.value)), firstFold.low, firstFold.high, firstFold.source, firstFold.basis) : undefined;
  const setupMs = fold(defined(used.map((r) => r.setupMs)), `Job time before memory moved in ${across}.`);
  // Each run's write speed read again with the working set settled here, which the model simulates with: a run's
  // own working set may be only a lower bound, and a smaller pool over-corrects for the overlap with the leftover.
  const rated = used.map((r) => {
    if (!r.writeEvidence || !workingSetBytes || !r.writeBytesPerSecond) return r;
    return { ...r, ...writeSpeed(r.writeEvidence, workingSetBytes.value, r.writeBytesPerSecond.source, `run ${r.runId}`) };
  });
  // Measured write speeds win over lower bounds; bounds still lift the range's floor. Every plain run's end bounds
  // it too: one that converged at its rate could not have been written faster than the speed at which the model
  // stops converging there, one still going when it ended not slower than the speed at which the model ends by then.
  const measuredWrites = defined(rated.filter((r) => !r.writeLowerBoundOnly).map((r) => r.writeBytesPerSecond));
  const boundWrites = defined(rated.filter((r) => r.writeLowerBoundOnly).map((r) => r.writeBytesPerSecond));
  const ends = workingSetBytes && firstPassBytes ? outcomeBounds(used, workingSetBytes.value, firstPassBytes.value, setupMs?.value) : { floor: 0, ceiling: Infinity };
  let writeBytesPerSecond: Estimate | undefined;
  if (measuredWrites.length > 0) {
    const f = fold(measuredWrites, `Dirtied per pass in ${across}.`) as Estimate;
    const floor = Math.max(0, ...boundWrites.map((e) => e.low));
    writeBytesPerSecond = floor > f.value ? estimate(floor, floor, Math.max(f.high, floor), f.source, f.basis) : f;
  } else {
    const floor = Math.max(0, ...boundWrites.map((e) => e.low), ends.floor);
    const ceiling = ends.ceiling >= floor ? ends.ceiling : Infinity;
    const src = (boundWrites[0] ?? workingSetBytes ?? firstPassBytes)?.source ?? 'history';
    const runsSaid = `${used.length} earlier run(s) of ${target.vm}`;
    if (floor > 0 && ceiling < Infinity) {
      // Both ends known: the middle on a log scale (the ends are often several times apart).
      writeBytesPerSecond = estimate(Math.sqrt(floor * ceiling), floor, ceiling, src, `Between ${rate(floor)} and ${rate(ceiling)}: what ${runsSaid} re-sent, where they converged and where not.`);
    } else if (floor > 0) {
      writeBytesPerSecond = estimate(floor, floor, floor * LOWER_BOUND_SPAN, src, boundWrites.length === 1 && ends.floor <= floor ? (boundWrites[0] as Estimate).basis : `At least ${rate(floor)}: ${runsSaid} re-sent the whole working set every pass, or did not converge.`);
    } else if (ceiling < Infinity) {
      // Only converged runs: nothing bounds it from below, so a cap under theirs stays uncertain; the likely value is
      // taken as far under the ceiling as a lone bound's range spans above it.
      writeBytesPerSecond = estimate(ceiling / LOWER_BOUND_SPAN, 0, ceiling, src, `At most ${rate(ceiling)}: ${runsSaid} converged, and a faster writer would not have.`);
    }
  }
  if (writeBytesPerSecond && measuredWrites.length === 0) notes.push(`The guest's write speed was not measured (${rate(writeBytesPerSecond.low)} to ${rate(writeBytesPerSecond.high)}): its runs were pinned at the working set, throttled or too short to show it.`);

  // The link: runs between the same two hosts, any VM. Uncapped runs measure it; capped ones only bound it.
  const route = recent.filter((r) => r.sourceHostId === target.sourceHostId && r.destinationHostId === target.destinationHostId).slice(0, options.maxRuns ?? HISTORY_MAX_RUNS);
  const free = defined(route.filter((r) => !r.capLimited).map((r) => r.throughputBytesPerSecond));
  const capped = defined(route.filter((r) => r.capLimited).map((r) => r.throughputBytesPerSecond));
  let linkBytesPerSecond: Estimate | undefined;
  if (free.length > 0) {
    linkBytesPerSecond = fold(free, `${free.length} earlier runs between these hosts moved memory at these rates.`);
  } else if (capped.length > 0) {
    // Nothing says the link is slower than what those runs asked of it: the likely value is the range's top (a cap
    // above the fastest one reached is then carried), the floor stays the pessimistic corner.
    const b = Math.max(...capped.map((e) => e.low));
    linkBytesPerSecond = estimate(b * LOWER_BOUND_SPAN, b, b * LOWER_BOUND_SPAN, 'history', `At least ${rate(b)}: the earlier runs between these hosts all ran at their cap.`);
    notes.push(`The link's speed is only a lower bound (${rate(b)}): every earlier run between these hosts was capped.`);
  }
  const linkRuns = route.filter((r) => r.throughputBytesPerSecond !== undefined);

  const ids = [...used, ...(linkBytesPerSecond ? linkRuns : [])].sort((a, b) => b.startedAt - a.startedAt).map((r) => r.runId);
  return {
    vm: target.vm,
    ...(memory !== undefined && target.memoryBytes === undefined ? { memoryBytes: estimate(memory, memory, memory, newest?.workingSetBytes?.source ?? 'history', `Guest memory in ${newest ? `run ${newest.runId}` : 'earlier runs'}.`) } : {}),
    ...(firstPassBytes ? { firstPassBytes } : {}),
    ...(workingSetBytes ? { workingSetBytes } : {}),
    ...(writeBytesPerSecond ? { writeBytesPerSecond } : {}),
    ...(linkBytesPerSecond ? { linkBytesPerSecond } : {}),
    ...(setupMs ? { setupMs } : {}),
    basisRunIds: [...new Set(ids)],
    notes,
  };
}

// ---- domdirtyrate-calc (the reading's parser: shared/parsers/virsh-dirtyrate.ts) ---------------------------------

/**
 * A dirtyrate-calc reading judged against history: used as the write speed only when no history says otherwise;
 * 0 against a history that saw writes, or off by more than 2x, is a note ("not trusted") and is not used.
 */
export function judgeDirtyRate(reading: DirtyRateReading, history: Estimate | undefined): { readonly use?: Estimate; readonly note?: string } {
  const b = reading.mibPerSecond * MiB;
  const said = `domdirtyrate-calc reported ${reading.mibPerSecond} MiB/s`;
  if (history) {
    const disagrees = (b === 0 && history.low > 0) || b > 2 * history.high || b < history.low / 2;
    if (disagrees) return { note: `${said}, history says ${rate(history.value)}: not trusted.` };
    return { note: `${said}, in line with history (${rate(history.value)}).` };
  }
  if (b === 0) return { note: `${said} and nothing else is known: not trusted (a guest at rest or a measurement that saw nothing).` };
  return {
    use: estimate(b, b / 2, b * 2, 'dirtyrate-calc', `Page-sampling over ${reading.periodS ?? 1} s: QEMU's averaged dirty rate, not the speed of a write burst.`),
  };
}

/** The share of a NIC's nominal speed a migration stream is taken to get at most, and at least, without history. */
export const NIC_LIKELY_SHARE = 0.9;
export const NIC_LOW_SHARE = 0.5;

/**
 * The link a migration gets, with the NIC that carries it to the destination (`ethtool`'s speed) as what it cannot
 * exceed. Measured runs between the hosts that were not capped say what it really gives and stay as they are (only
 * bounded by the NIC). Runs that all ran at their cap say only "at least": the NIC then gives the upper end, and the
 * likely value is the NIC's 90 % unless the runs showed more. Without runs, the NIC alone: 50-100 % of it, likely 90 %
 * (a stream rarely gets all of a link; a slow CPU or TLS gets less, which only history shows).
 */
export function linkWithNic(link: Estimate | undefined, lowerBoundOnly: boolean, nic: { readonly iface: string; readonly megabitsPerSecond: number }): Estimate {
  const n = (nic.megabitsPerSecond * 1e6) / 8;
  const nicText = `${nic.iface} runs at ${nic.megabitsPerSecond} Mb/s`;
  if (link === undefined) return estimate(NIC_LIKELY_SHARE * n, NIC_LOW_SHARE * n, n, 'link', `${nicText} (no earlier run between these hosts): a stream is taken to get 50-100 % of it.`);
  if (!lowerBoundOnly) {
    const high = Math.min(link.high, n);
    return { ...link, high: Math.max(high, link.value), basis: `${link.basis} At most what ${nicText} carries.` };
  }
  const low = Math.min(link.low, n);
  const value = Math.max(link.value, NIC_LIKELY_SHARE * n);
  return estimate(value, low, Math.max(n, value), 'link', `${link.basis} ${nicText}: that is the upper end, and 90 % of it the likely value.`);
}
