/**
 * The live verdict on a running migration, from its domjobinfo samples so far and the options in force: what state
 * it is in, ONE sentence why (with the numbers), the remedies that apply now, an honest ETA and the progress of the
 * current pass. Pure: main computes it for each sample (and journals it); the renderer shows it.
 *
 * Signals (all from domjobinfo, measured on the lab):
 * - dirty rate at or above throughput: D >= 0.9 x T (QEMU's dirty rate sits just under a cap it cannot beat:
 *   1272 pages/s = 4.97 MiB/s against 5.01 MiB/s at --bandwidth 5; at --bandwidth 8/16 it was pinned at the cap);
 * - remaining memory not falling across passes: the smallest `Memory remaining` seen in each finished pass (from
 *   pass 2 on, pass 1 being the bulk copy) drops by less than 10 % from one pass to the next;
 * - expected downtime above the max downtime (libvirt default 300 ms). In pass 1 QEMU prints the limit itself, so
 *   the figure means something from pass 2 on;
 * - nothing moving: `Memory processed` unchanged over >= 5 s of job time (virsh then also drops `Memory bandwidth`).
 *
 * Slow: converging, but the guest dirties at least half of what is sent (D >= 0.5 T), or a pass did not shrink while
 * the expected downtime is above the limit; also while nothing moved since the last sample (zero throughput is
 * never "converging"; it becomes "stalled" after 5 s).
 *
 * Auto-converge (lab, vmd at 8 MiB/s: test/fixtures/migration-runs/autoconverge-8): QEMU starts throttling only
 * after a few passes that do not shrink (pass 4 there), then raises the throttle by its increment every ~2 passes
 * (20, 30 ... 90, then 99 %, its maximum). The dirty rate QEMU reports stays pinned at the cap until the throttle is
 * high enough; at 99 % it fell (8 -> 6.2 -> 0.5 MiB/s) and the run completed 14 s later. So an auto-converge run is
 * judged by the throttle: while it has room, the run is slow, not lost; at its maximum, by whether memory left falls
 * at that throttle (the expected downtime, i.e. what is left at a pass boundary, below 90 % of what it was when the
 * throttle got there, or the dirty rate below 90 % of the throughput); two passes at the maximum without that is
 * "not converging".
 *
 * One decision per pass: the inputs QEMU updates at pass boundaries (dirty rate, expected downtime, throttle) decide,
 * and the throughput is the highest of the last three samples, so a state does not flip back and forth between
 * consecutive samples on jitter.
 *
 * Progress: only the first pass (the bulk copy) has one that means something (share of memory sent). Later passes
 * re-send what was dirtied; "1 - remaining / total" is then always ~95 % and says nothing, so only the pass number is
 * given.
 * Non-convergence is called within a few passes: from pass 2 on, with the expected downtime above the limit, as soon
 * as either three samples in a row have D >= 0.9 T, or the migration is in pass 3+ with D >= 0.9 T (memory was
 * re-sent twice and the guest keeps pace), or two passes in a row did not shrink. At 8 MiB/s the lab's 20 MiB hot
 * set takes ~2.5 s per pass, so the call comes ~5 s after the bulk copy, not after ten minutes.
 */
import { z } from 'zod';
import { formatMilliseconds, SIZE_UNITS } from '../units';
import type { MigrationControlAction } from './controls';
import type { PredictionInputs } from './predict-schema';
import { modelCapRemedy } from './verdict-remedy';
import {
  currentJob,
  DIRTY_RATIO,
  MAX_THROTTLE_PERCENT,
  minRemainingByPass,
  passesNotShrinking,
  recentThroughput,
  SHRINK_RATIO,
  stillFor,
  throttleAtMax,
  type VerdictSample,
} from './verdict-signals';

/** The sample type lives with the readings; callers name it from here, beside the verdict they feed. */
export type { VerdictSample } from './verdict-signals';

export const SLOW_DIRTY_RATIO = 0.5;
export const STALL_MS = 5_000;
export const SETUP_STALL_MS = 20_000;
export const CAP_NEAR_RATIO = 0.8;
export const DEFAULT_MAX_DOWNTIME_MS = 300;
/**
 * Passes at the maximum throttle whose memory left does not fall before a run is called not converging. At 99 % the
 * pass ends scatter (lab, vmd at 8 MiB/s: two passes stuck at 1.4 s expected downtime, then one fitting the limit and
 * the run completed), so two passes say too little; five at 1-2 s each is what an admin would wait for.
 */
export const AT_MAX_STUCK_PASSES = 5;

export const VERDICT_STATES = ['starting', 'converging', 'slow', 'not-converging', 'stalled', 'post-copy', 'completing'] as const;
export type VerdictState = (typeof VERDICT_STATES)[number];

/** A remedy is a live control (shared/migration/controls.ts), or a restart with other options. */
export const REMEDY_ACTIONS = ['setSpeed', 'setMaxDowntime', 'postcopy', 'abort', 'restartWithAutoConverge'] as const satisfies readonly (MigrationControlAction | 'restartWithAutoConverge')[];

export const remedySchema = z.object({
  /** The control it maps to (`ferry.migrations.control`), or a restart with other options. */
  action: z.enum(REMEDY_ACTIONS),
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
  /** Job time of the sample this verdict judges, ms (so a view can pair it with that sample's figures). */
  elapsedMs: z.number().optional(),
  signals: z.object({
    dirtyRateBytesPerSecond: z.number().optional(),
    throughputBytesPerSecond: z.number().optional(),
    dirtyAtOrAboveThroughput: z.boolean(),
    /** Passes in a row (from pass 2) whose smallest remaining did not drop by 10 %. */
    passesNotShrinking: z.number().int(),
    expectedDowntimeAboveLimit: z.boolean(),
    /** Job time over which `Memory processed` has not moved, ms. */
    stillForMs: z.number().optional(),
    /** Auto-converge's vCPU throttle in the sample, percent (absent before QEMU starts throttling). */
    throttlePercent: z.number().optional(),
  }),
});
export type MigrationVerdict = z.infer<typeof migrationVerdictSchema>;

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
  /** What the prediction at the start was made from: the remedies' model starts from it. */
  readonly startInputs?: PredictionInputs;
}

const MiB = SIZE_UNITS.MiB;
const mibps = (bytesPerSecond: number) => `${(bytesPerSecond / MiB).toFixed(1)} MiB/s`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const ms = formatMilliseconds;

function roundUpDowntime(msValue: number): number {
  const step = msValue < 1000 ? 50 : msValue < 10_000 ? 100 : 1000;
  return Math.ceil(msValue / step) * step;
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
  const at = info.timeElapsedMs === undefined ? {} : { elapsedMs: info.timeElapsedMs };
  const abort: Remedy = { action: 'abort', label: 'Abort: the guest keeps running on the source.', available: true };

  if (info.type === 'completed') {
    return { state: 'completing', reason: 'The migration has completed.', remedies: [], etaMs: 0, etaNote: 'Done.', ...at, signals: noSignals };
  }

  // Set-up: only "Time elapsed" (~4.2 s with cold caches; 121 s through an MTU black hole on ssh).
  if (info.memoryTotalBytes === undefined) {
    const t = info.timeElapsedMs ?? 0;
    if (t >= SETUP_STALL_MS) {
      return {
        state: 'stalled',
        reason: `No memory has moved in ${ms(t)}: the connection to the destination is not getting through (check the migration path's MTU and the destination's sshd/libvirtd).`,
        remedies: [abort],
        etaNote: 'Stalled: nothing is moving, so no finish time can be promised.',
        ...at,
        signals: { ...noSignals, stillForMs: t },
      };
    }
    return { state: 'starting', reason: `Setting up for ${ms(t)}: libvirt is connecting and starting QEMU on the destination; no memory has moved yet.`, remedies: [], etaNote: 'No memory has moved yet.', ...at, signals: noSignals };
  }

  const pass = info.iteration ?? 1;
  const D = f.dirtyRateBytesPerSecond;
  const T = f.throughputBytesPerSecond;
  const Tr = recentThroughput(samples, pass);
  const R = f.remainingBytes ?? info.memoryRemainingBytes ?? 0;
  const E = info.expectedDowntimeMs;
  const throttle = info.autoConvergeThrottlePercent;
  const byPass = minRemainingByPass(samples);
  const notShrinking = passesNotShrinking(byPass, pass);
  const still = stillFor(samples);
  const dirtyHigh = (s: VerdictSample) =>
    s.figures.dirtyRateBytesPerSecond !== undefined &&
    s.figures.throughputBytesPerSecond !== undefined &&
    s.figures.throughputBytesPerSecond > 0 &&
    s.figures.dirtyRateBytesPerSecond >= DIRTY_RATIO * s.figures.throughputBytesPerSecond;
  const dirtyHighNow = D !== undefined && Tr !== undefined && Tr > 0 && D >= DIRTY_RATIO * Tr;
  const downtimeHigh = pass >= 2 && E !== undefined && E > limit;
  const signals = {
    ...(D === undefined ? {} : { dirtyRateBytesPerSecond: D }),
    ...(T === undefined ? {} : { throughputBytesPerSecond: T }),
    dirtyAtOrAboveThroughput: dirtyHighNow,
    passesNotShrinking: notShrinking,
    expectedDowntimeAboveLimit: downtimeHigh,
    ...(still === undefined ? {} : { stillForMs: still }),
    ...(throttle === undefined ? {} : { throttlePercent: throttle }),
  };
  // The bulk copy's progress means something; a re-send pass's "1 - remaining / total" is always ~95 %.
  const progress =
    pass === 1 && f.passProgress !== undefined ? { passProgress: f.passProgress, progressLabel: 'memory sent in pass 1', ...at } : { progressLabel: `pass ${pass}`, ...at };

  // Post-copy: the guest runs on the destination and pulls what it misses; only the rest of the copy is left.
  if ((info.postcopyRequests ?? 0) > 0 || ctx.postcopyRequested) {
    // The migration link down in post-copy: libvirt keeps reporting its last rate while the counter stands (lab: 15 s
    // cut at 1 MiB/s, "1.02 MiB/s" throughout), so the counter decides. TCP keeps trying: the run goes on when the
    // link is back; only a broken connection splits the VM.
    if (still !== undefined && still >= STALL_MS) {
      return {
        state: 'stalled',
        reason: `In post-copy, nothing has moved for ${ms(still)} (${mib(R)} left${T === undefined ? '' : `; libvirt still reports ${mibps(T)}, its last rate`}): the migration connection is not getting through. The guest runs on the destination and waits for the pages it lacks; the run goes on when the link comes back, and if the connection breaks, the migration can be resumed.`,
        remedies: [],
        etaNote: 'Stalled in post-copy: no finish time can be promised until the link moves again.',
        ...progress,
        signals,
      };
    }
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
  // No rate yet (virsh hides a zero bandwidth, and the counter needs a second sample), or none at all: never
  // "converging" (lab, black hole on the migration network: 0.5 MiB sent, then nothing).
  if (T === undefined) {
    return {
      state: 'starting',
      reason: `Memory transfer started: ${mib(info.memoryProcessedBytes ?? 0)} sent, ${mib(R)} left; libvirt reports no transfer rate yet.`,
      remedies: [abort],
      etaNote: 'No transfer rate yet.',
      ...progress,
      signals,
    };
  }
  if (T === 0) {
    return {
      state: 'slow',
      reason: `No memory moved in the last ${ms(still ?? 0)} (${mib(info.memoryProcessedBytes ?? 0)} sent, ${mib(R)} left): if nothing moves for ${ms(STALL_MS)}, the migration is stalled.`,
      remedies: [abort],
      etaNote: 'Nothing moved since the last sample: no finish time can be promised.',
      ...progress,
      signals,
    };
  }

  // About to switch over: what is left fits in the allowed downtime at the current rate.
  // QEMU switches over when what is left after a pass fits in the limit; `Expected downtime` is that figure at the
  // last pass boundary, so a pass that ended above the limit is not finishing even when its tail gets small. At the
  // end of pass 1 nothing says what the guest dirtied meanwhile (QEMU prints the limit as the expected downtime), so
  // a busy guest's bulk copy ending is not "completing" (lab: vmd at 8 MiB/s, then 19 passes more).
  const fits = (R / T) * 1000 <= limit;
  if (pass >= 2 && fits && (E === undefined || E <= limit)) {
    return {
      state: 'completing',
      reason: `${mib(R)} left moves in ${ms((R / T) * 1000)} at ${mibps(T)}, within the ${ms(limit)} max downtime: QEMU switches over at the end of this pass.`,
      remedies: [],
      etaMs: Math.round((R / T) * 1000),
      etaNote: 'Time to send what is left; the guest pauses for about that long.',
      ...progress,
      signals,
    };
  }

  const recent = samples.filter((s) => (s.info.iteration ?? 1) >= 2).slice(-3);
  const pinned = recent.length >= 3 && recent.every(dirtyHigh);
  const notConverging = downtimeHigh && (pinned || (pass >= 3 && dirtyHighNow) || notShrinking >= 2);
  const cap = ctx.bandwidthMiBps;

  const remedies: Remedy[] = [];
  const capLimits = cap !== undefined && Tr !== undefined && Tr >= CAP_NEAR_RATIO * cap * MiB;
  if (capLimits && cap !== undefined) {
    // Only a cap the prediction model says converges, with what it expects (no rule of thumb: at 5 MiB/s the lab's
    // busy guest never converged at 8 or 16, only at 32).
    const byModel = modelCapRemedy(samples, {
      bandwidthMiBps: cap,
      ...(ctx.maxDowntimeMs !== undefined ? { maxDowntimeMs: ctx.maxDowntimeMs } : {}),
      ...(ctx.autoConverge !== undefined ? { autoConverge: ctx.autoConverge } : {}),
      ...(ctx.postcopy !== undefined ? { postcopy: ctx.postcopy } : {}),
      ...(ctx.startInputs ? { startInputs: ctx.startInputs } : {}),
    });
    if (byModel) remedies.push({ action: 'setSpeed', value: byModel.value, label: byModel.label, available: true });
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
  const rates = D !== undefined ? `the guest dirties ${mibps(D)} and the link moves ${mibps(T)}${capText}` : `${mib(R)} left`;
  const downtimeText = E !== undefined ? `expected downtime ${ms(E)} stays above the ${ms(limit)} limit` : '';
  const throttleText = throttle === undefined ? '' : `; auto-converge throttles the guest's vCPUs at ${throttle} %`;
  const noEta = 'Not converging: no finish time can be promised.';
  const upper = (t: string) => `${t[0]?.toUpperCase() ?? ''}${t.slice(1)}`;

  if (notConverging && ctx.autoConverge === true) {
    const slowAc = (reason: string): MigrationVerdict => ({ state: 'slow', reason, remedies, etaNote: 'Converging only as the throttle works: no finish time can be promised yet.', ...progress, signals });
    if (throttle === undefined) {
      return slowAc(`Auto-converge has not started throttling yet (QEMU starts once passes stop shrinking): ${rates}; ${downtimeText}.`);
    }
    if (throttle < MAX_THROTTLE_PERCENT) {
      return slowAc(`Auto-converge throttles the guest's vCPUs at ${throttle} % and raises it each pass that does not converge (up to ${MAX_THROTTLE_PERCENT} %): ${rates}; ${downtimeText}.`);
    }
    const m = throttleAtMax(samples, pass);
    if (m.notFalling >= AT_MAX_STUCK_PASSES) {
      return {
        state: 'not-converging',
        reason: `Auto-converge throttles the guest's vCPUs at its maximum (${throttle} %) and memory left has not fallen in ${m.notFalling} passes at it: ${rates}; ${downtimeText}.`,
        remedies,
        etaNote: noEta,
        ...progress,
        signals,
      };
    }
    return slowAc(
      m.finishedPasses > m.notFalling && m.fromMs !== undefined && E !== undefined
        ? `Auto-converge throttles the guest's vCPUs at its maximum (${throttle} %) and memory left falls at it (expected downtime ${ms(m.fromMs)} when it got there, ${ms(E)} now): ${rates}; ${downtimeText}.`
        : `Auto-converge has reached its maximum throttle (${throttle} %); whether memory left falls at it shows within ${AT_MAX_STUCK_PASSES} passes: ${rates}; ${downtimeText}.`,
    );
  }
  if (notConverging) {
    const trend = notShrinking >= 2 || pass >= 3 ? `memory left is not shrinking after ${pass} passes` : `memory left is re-dirtied as fast as it is sent`;
    return {
      state: 'not-converging',
      reason: `${upper(rates)}: ${trend}; ${downtimeText}.`,
      remedies,
      etaNote: noEta,
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
    eta = { etaMs: Math.round((R / T) * 1000), etaNote: 'Time to the end of the first pass over memory; the dirty rate is known only after it.' };
  } else if (T > D && trendAgrees) {
    eta = { etaMs: Math.round((R / (T - D)) * 1000), etaNote: 'Remaining / (throughput - dirty rate), while both hold.' };
  } else if (T > D) {
    eta = { etaNote: 'Not yet two re-send passes that shrink: no finish time can be promised yet.' };
  } else {
    eta = { etaNote: 'The guest dirties memory as fast as it is sent: no finish time can be promised.' };
  }
  const slow = pass >= 2 && ((D !== undefined && D >= SLOW_DIRTY_RATIO * T) || downtimeHigh);
  if (slow) {
    return {
      state: 'slow',
      reason: `Converging slowly: ${rates}, so each pass re-sends ${D !== undefined ? `${Math.round((D / T) * 100)} %` : 'much'} of what it sent${downtimeText === '' ? '' : `; ${downtimeText}`}${throttleText}.`,
      remedies,
      ...eta,
      ...progress,
      signals,
    };
  }
  let reason: string;
  if (pass >= 2) reason = `Converging: ${rates}, and memory left shrinks each pass (${mib(R)} left in pass ${pass})${throttleText}.`;
  else if (fits) reason = `End of the first pass over memory: ${mib(R)} left at ${mibps(T)}; QEMU switches over after it only if the guest dirtied little meanwhile, otherwise it re-sends that in pass 2.`;
  else reason = `First pass over memory: ${mib(f.processedBytes ?? 0)} sent at ${mibps(T)}, ${mib(R)} left.`;
  return { state: 'converging', reason, remedies: [], ...eta, ...progress, signals };
}
