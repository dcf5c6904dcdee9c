/**
 * The live verdict on a running migration, from its domjobinfo samples so far and the options in force: what state
 * it is in, ONE sentence why (with the numbers), the remedies that apply now, an honest ETA and the progress of the
 * current pass. Pure: main computes it for each sample (and journals it); the renderer shows it.
 *
 * Signals (all from domjobinfo; RECIPE sections 5-6, measured on the lab):
 * - dirty rate at or above throughput: D >= 0.9 x T (QEMU's dirty rate sits just under a cap it cannot beat:
 *   1272 pages/s = 4.97 MiB/s against 5.01 MiB/s at --bandwidth 5; at --bandwidth 8/16 it was pinned at the cap);
 * - remaining memory not falling across passes: the smallest `Memory remaining` seen in each finished pass (from
 *   pass 2 on, pass 1 being the bulk copy) drops by less than 10 % from one pass to the next;
 * - expected downtime above the max downtime (libvirt default 300 ms). In pass 1 QEMU prints the limit itself, so
 *   the figure means something from pass 2 on;
 * - nothing moving: `Memory processed` unchanged over >= 5 s of job time (virsh then also drops `Memory bandwidth`).
 *
 * Slow: converging, but the guest dirties at least half of what is sent (D >= 0.5 T), or a pass did not shrink while
 * the expected downtime is above the limit; also while auto-converge is still raising its throttle.
 * Non-convergence is called within a few passes: from pass 2 on, with the expected downtime above the limit, as soon
 * as either three samples in a row have D >= 0.9 T, or the migration is in pass 3+ with D >= 0.9 T (memory was
 * re-sent twice and the guest keeps pace), or two passes in a row did not shrink. At 8 MiB/s the lab's 20 MiB hot
 * set takes ~2.5 s per pass, so the call comes ~5 s after the bulk copy, not after ten minutes.
 */
import { z } from 'zod';
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import { formatMilliseconds, SIZE_UNITS } from '../units';
import type { DerivedJobFigures } from './derive';

export const DIRTY_RATIO = 0.9;
export const SHRINK_RATIO = 0.9;
export const SLOW_DIRTY_RATIO = 0.5;
export const STALL_MS = 5_000;
export const SETUP_STALL_MS = 20_000;
export const CAP_NEAR_RATIO = 0.8;
export const DEFAULT_MAX_DOWNTIME_MS = 300;

export const VERDICT_STATES = ['starting', 'converging', 'slow', 'not-converging', 'stalled', 'post-copy', 'completing'] as const;
export type VerdictState = (typeof VERDICT_STATES)[number];

export const remedySchema = z.object({
  /** The control it maps to (`ferry.migrations.control`), or a restart with other options. */
  action: z.enum(['setSpeed', 'setMaxDowntime', 'postcopy', 'abort', 'restartWithAutoConverge']),
  /** MiB/s for setSpeed, ms for setMaxDowntime. */
  value: z.number().optional(),
  /** What the button says and what it costs, one sentence. */
  label: z.string(),
  /** false: shown to explain, cannot be done on this migration now. */
  available: z.boolean(),
});
export type Remedy = z.infer<typeof remedySchema>;

export const migrationVerdictSchema = z.object({
  state: z.enum(VERDICT_STATES),
  /** One sentence, with the numbers it rests on. */
  reason: z.string(),
  remedies: z.array(remedySchema),
  /** Time to finish, ms: only when it can be promised (throughput above dirty rate and the trend agrees). */
  etaMs: z.number().optional(),
  /** What etaMs means, or why there is none. */
  etaNote: z.string(),
  /** Share 0..1 of guest memory sent in the current pass (not of the migration). */
  passProgress: z.number().optional(),
  progressLabel: z.string().optional(),
  signals: z.object({
    dirtyRateBytesPerSecond: z.number().optional(),
    throughputBytesPerSecond: z.number().optional(),
    dirtyAtOrAboveThroughput: z.boolean(),
    /** Passes in a row (from pass 2) whose smallest remaining did not drop by 10 %. */
    passesNotShrinking: z.number().int(),
    expectedDowntimeAboveLimit: z.boolean(),
    /** Job time over which `Memory processed` has not moved, ms. */
    stillForMs: z.number().optional(),
  }),
});
export type MigrationVerdict = z.infer<typeof migrationVerdictSchema>;

export interface VerdictSample {
  readonly info: DomainJobInfo;
  readonly figures: DerivedJobFigures;
}

export interface VerdictContext {
  /** ms; libvirt's default 300 when not set. */
  readonly maxDowntimeMs?: number;
  /** The cap in force, MiB/s (--bandwidth or the last migrate-setspeed); absent = uncapped. */
  readonly bandwidthMiBps?: number;
  /** Started with --postcopy (so migrate-postcopy is possible). */
  readonly postcopy?: boolean;
  /** Started with --auto-converge. */
  readonly autoConverge?: boolean;
  /** migrate-postcopy was sent (the samples may not show postcopy requests yet). */
  readonly postcopyRequested?: boolean;
}

const MiB = SIZE_UNITS.MiB;
const mibps = (bytesPerSecond: number) => `${(bytesPerSecond / MiB).toFixed(1)} MiB/s`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const ms = formatMilliseconds;

/** Smallest remaining per pass, in pass order. */
function minRemainingByPass(samples: readonly VerdictSample[]): Map<number, number> {
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
function passesNotShrinking(byPass: Map<number, number>, current: number): number {
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
function stillFor(samples: readonly VerdictSample[]): number | undefined {
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

function roundUpDowntime(msValue: number): number {
  const step = msValue < 1000 ? 50 : msValue < 10_000 ? 100 : 1000;
  return Math.ceil(msValue / step) * step;
}

/** The samples of the job the last sample belongs to (a counter going backwards, or a new job, starts a new run). */
function currentJob(samples: readonly VerdictSample[]): VerdictSample[] {
  let start = samples.length - 1;
  while (start > 0) {
    const a = samples[start - 1]?.info.timeElapsedMs;
    const b = samples[start]?.info.timeElapsedMs;
    if (a === undefined || b === undefined || b < a) break;
    start--;
  }
  return samples.slice(Math.max(0, start));
}

export function migrationVerdict(all: readonly VerdictSample[], ctx: VerdictContext = {}): MigrationVerdict {
  const samples = currentJob(all.filter((s) => s.info.type === 'unbounded' || s.info.type === 'bounded' || s.info.type === 'completed'));
  const limit = ctx.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS;
  const last = samples[samples.length - 1];
  const noSignals = { dirtyAtOrAboveThroughput: false, passesNotShrinking: 0, expectedDowntimeAboveLimit: false };

  if (last === undefined) {
    return { state: 'starting', reason: 'No job statistics yet: the migration is being set up.', remedies: [], etaNote: 'No memory has moved yet.', signals: noSignals };
  }
  const { info, figures: f } = last;
  const abort: Remedy = { action: 'abort', label: 'Abort: the guest keeps running on the source.', available: true };

  if (info.type === 'completed') {
    return { state: 'completing', reason: 'The migration has completed.', remedies: [], etaMs: 0, etaNote: 'Done.', passProgress: 1, signals: noSignals };
  }

  // Set-up: only "Time elapsed" (RECIPE P6: ~4.2 s with cold caches; 121 s through an MTU black hole on ssh).
  if (info.memoryTotalBytes === undefined) {
    const t = info.timeElapsedMs ?? 0;
    if (t >= SETUP_STALL_MS) {
      return {
        state: 'stalled',
        reason: `No memory has moved in ${ms(t)}: the connection to the destination is not getting through (check the migration path's MTU and the destination's sshd/libvirtd).`,
        remedies: [abort],
        etaNote: 'Stalled: nothing is moving, so no finish time can be promised.',
        signals: { ...noSignals, stillForMs: t },
      };
    }
    return { state: 'starting', reason: `Setting up for ${ms(t)}: libvirt is connecting and starting QEMU on the destination; no memory has moved yet.`, remedies: [], etaNote: 'No memory has moved yet.', signals: noSignals };
  }

  const D = f.dirtyRateBytesPerSecond;
  const T = f.throughputBytesPerSecond;
  const R = f.remainingBytes ?? info.memoryRemainingBytes ?? 0;
  const E = info.expectedDowntimeMs;
  const pass = info.iteration ?? 1;
  const byPass = minRemainingByPass(samples);
  const notShrinking = passesNotShrinking(byPass, pass);
  const still = stillFor(samples);
  const dirtyHigh = (s: VerdictSample) =>
    s.figures.dirtyRateBytesPerSecond !== undefined &&
    s.figures.throughputBytesPerSecond !== undefined &&
    s.figures.throughputBytesPerSecond > 0 &&
    s.figures.dirtyRateBytesPerSecond >= DIRTY_RATIO * s.figures.throughputBytesPerSecond;
  const downtimeHigh = pass >= 2 && E !== undefined && E > limit;
  const signals = {
    ...(D === undefined ? {} : { dirtyRateBytesPerSecond: D }),
    ...(T === undefined ? {} : { throughputBytesPerSecond: T }),
    dirtyAtOrAboveThroughput: dirtyHigh(last),
    passesNotShrinking: notShrinking,
    expectedDowntimeAboveLimit: downtimeHigh,
    ...(still === undefined ? {} : { stillForMs: still }),
  };
  const progress = f.passProgress === undefined ? {} : { passProgress: f.passProgress, progressLabel: `memory sent in pass ${pass}` };

  // Post-copy: the guest runs on the destination and pulls what it misses; only the rest of the copy is left.
  if ((info.postcopyRequests ?? 0) > 0 || ctx.postcopyRequested) {
    const eta = T !== undefined && T > 0 ? { etaMs: Math.round((R / T) * 1000), etaNote: 'Time to send what is left at the current rate (post-copy: nothing is re-sent).' } : { etaNote: 'Post-copy: no transfer rate reported yet.' };
    return {
      state: 'post-copy',
      reason: `In post-copy: the guest runs on the destination and has fetched ${info.postcopyRequests ?? 0} pages on demand; ${mib(R)} left${T === undefined ? '' : ` at ${mibps(T)}`}.`,
      remedies: [],
      ...eta,
      ...progress,
      signals,
    };
  }

  // Nothing moving.
  if (still !== undefined && still >= STALL_MS) {
    return {
      state: 'stalled',
      reason: `Nothing has moved for ${ms(still)} (${mib(info.memoryProcessedBytes ?? 0)} sent, ${mib(R)} left${info.memoryBandwidthBytesPerSecond === undefined ? ', no bandwidth reported' : ''}): a migration stalled like this never fails on its own; check the migration network (MTU, firewall).`,
      remedies: [abort],
      etaNote: 'Stalled: nothing is moving, so no finish time can be promised.',
      ...progress,
      signals,
    };
  }

  // About to switch over: what is left fits in the allowed downtime at the current rate.
  // QEMU switches over when what is left after a pass fits in the limit; `Expected downtime` is that figure at the
  // last pass boundary, so a pass that ended above the limit is not finishing even when its tail gets small.
  if (T !== undefined && T > 0 && (R / T) * 1000 <= limit && (E === undefined || E <= limit)) {
    return {
      state: 'completing',
      reason: `${mib(R)} left moves in ${ms((R / T) * 1000)} at ${mibps(T)}, within the ${ms(limit)} max downtime: QEMU switches over at the end of this pass${pass === 1 ? ' unless the guest dirtied more meanwhile' : ''}.`,
      remedies: [],
      etaMs: Math.round((R / T) * 1000),
      etaNote: 'Time to send what is left; the guest pauses for about that long.',
      ...progress,
      signals,
    };
  }

  const recent = samples.filter((s) => (s.info.iteration ?? 1) >= 2).slice(-3);
  const pinned = recent.length >= 3 && recent.every(dirtyHigh);
  const notConverging = downtimeHigh && (pinned || (pass >= 3 && dirtyHigh(last)) || notShrinking >= 2);
  const throttle = info.autoConvergeThrottlePercent;
  const stillThrottling = ctx.autoConverge === true && (throttle === undefined || throttle < 99);
  const cap = ctx.bandwidthMiBps;

  const remedies: Remedy[] = [];
  const capLimits = cap !== undefined && T !== undefined && T >= CAP_NEAR_RATIO * cap * MiB;
  if (capLimits && cap !== undefined) {
    // With the cap as the only limit, the dirty rate QEMU sees is bounded by it too (lab: pinned at exactly 8 and
    // 16 MiB/s), so the guest's real rate is unknown: offer 4x (8 -> 32 MiB/s finished a run that 8 and 16 never did).
    const pinnedAtCap = D !== undefined && D >= 0.95 * cap * MiB;
    const suggested = Math.max(pinnedAtCap ? cap * 4 : cap * 2, D === undefined ? 0 : Math.ceil((2 * D) / MiB));
    remedies.push({ action: 'setSpeed', value: suggested, label: `Raise the bandwidth cap from ${cap} to ${suggested} MiB/s: the link moves what the cap allows and no more.`, available: true });
  }
  if (downtimeHigh && E !== undefined) {
    const v = roundUpDowntime(E);
    remedies.push({ action: 'setMaxDowntime', value: v, label: `Allow ${ms(v)} of downtime: the guest pauses that long at the switch-over, and the migration can finish.`, available: true });
  }
  if (ctx.postcopy) {
    remedies.push({ action: 'postcopy', label: 'Switch to post-copy: the guest runs on the destination now and fetches the rest on demand (if the network fails then, the guest is lost).', available: true });
  }
  if (!ctx.autoConverge) {
    remedies.push({ action: 'restartWithAutoConverge', label: 'Auto-converge cannot be switched on while a migration runs: abort and start again with it to throttle the guest.', available: false });
  }
  remedies.push(abort);

  const capText = cap === undefined ? '' : ` (capped at ${cap} MiB/s)`;
  const rates = D !== undefined && T !== undefined ? `the guest dirties ${mibps(D)} and the link moves ${mibps(T)}${capText}` : `${mib(R)} left`;
  const downtimeText = E !== undefined ? `expected downtime ${ms(E)} stays above the ${ms(limit)} limit` : '';
  const noEta = 'Not converging: no finish time can be promised.';

  if (notConverging && !stillThrottling) {
    const trend = notShrinking >= 2 || pass >= 3 ? `memory left is not shrinking after ${pass} passes` : `memory left is re-dirtied as fast as it is sent`;
    return {
      state: 'not-converging',
      reason: `${rates[0]?.toUpperCase() ?? ''}${rates.slice(1)}: ${trend}; ${downtimeText}.`,
      remedies,
      etaNote: noEta,
      ...progress,
      signals,
    };
  }
  if (notConverging && stillThrottling) {
    return {
      state: 'slow',
      reason: `Auto-converge is throttling the guest's vCPUs at ${throttle ?? 0} % and raises it each pass, because ${rates}; ${downtimeText}.`,
      remedies,
      etaNote: 'Converging only as the throttle rises: no finish time can be promised yet.',
      ...progress,
      signals,
    };
  }

  // Converging (or slowly): a finish time only when throughput beats the dirty rate AND the last finished re-send
  // pass ended lower than the one before (one re-send pass says nothing about the trend yet).
  const finished = [...byPass.entries()].filter(([it]) => it >= 2 && it < pass).sort((a, b) => a[0] - b[0]);
  const lastTwo = finished.slice(-2);
  const trendAgrees = lastTwo.length === 2 && (lastTwo[1]?.[1] ?? 0) < SHRINK_RATIO * (lastTwo[0]?.[1] ?? 0);
  let eta: { etaMs?: number; etaNote: string };
  if (pass === 1 || D === undefined) {
    eta = T !== undefined && T > 0
      ? { etaMs: Math.round((R / T) * 1000), etaNote: 'Time to the end of the first pass over memory; the dirty rate is known only after it.' }
      : { etaNote: 'No transfer rate yet.' };
  } else if (T !== undefined && T > D && trendAgrees) {
    eta = { etaMs: Math.round((R / (T - D)) * 1000), etaNote: 'Remaining / (throughput - dirty rate), while both hold.' };
  } else if (T !== undefined && T > D) {
    eta = { etaNote: 'Not yet two re-send passes that shrink: no finish time can be promised yet.' };
  } else {
    eta = { etaNote: 'The guest dirties memory as fast as it is sent: no finish time can be promised.' };
  }
  const slow = (D !== undefined && T !== undefined && T > 0 && D >= SLOW_DIRTY_RATIO * T) || downtimeHigh;
  if (slow) {
    return {
      state: 'slow',
      reason: `Converging slowly: ${rates}, so each pass re-sends ${D !== undefined && T !== undefined && T > 0 ? `${Math.round((D / T) * 100)} %` : 'much'} of what it sent${downtimeText === '' ? '' : `; ${downtimeText}`}.`,
      remedies,
      ...eta,
      ...progress,
      signals,
    };
  }
  return {
    state: 'converging',
    reason:
      pass === 1
        ? `First pass over memory: ${mib(f.processedBytes ?? 0)} sent${T === undefined ? '' : ` at ${mibps(T)}`}, ${mib(R)} left.`
        : `Converging: ${rates}, and memory left shrinks each pass (${mib(R)} left in pass ${pass}).`,
    remedies: [],
    ...eta,
    ...progress,
    signals,
  };
}
