/**
 * A trial pre-copy: a real migration to the chosen destination at a low bandwidth cap, watched for a few passes,
 * then aborted, so a VM without history gets measured passes (its record's samples) for the prediction. The VM
 * never leaves the source; the abort is verified on both hosts; the admin is told the cost before agreeing.
 *
 * What a trial answers (one schema for main, the IPC contract and the dialog), and its cost (pure, shown before the
 * admin agrees).
 */
import { z } from 'zod';
import { formatBytes, formatMilliseconds } from '../units';

const MiB = 1024 * 1024;

/** Below the cap of most migration networks, and on the lab under vmd's write speed: the run keeps passing. */
export const TRIAL_DEFAULT_CAP_MIBPS = 8;
/** The highest cap a trial picks by itself (a larger VM's first pass then takes longer than FIRST_PASS_MS). */
export const TRIAL_MAX_DEFAULT_CAP_MIBPS = 64;
const FIRST_PASS_MS = 30_000;
export const TRIAL_DEFAULT_PASSES = 3;
export const TRIAL_MAX_PASSES = 10;
/**
 * The trial's max downtime: QEMU switches over once what is left fits in bandwidth x max downtime, so at 1 ms only a
 * guest that wrote (almost) nothing during a pass can complete. The trial must abort, not migrate.
 */
export const TRIAL_MAX_DOWNTIME_MS = 1;
/** Starting the job, aborting it and the checks on both hosts, on top of the passes. */
export const TRIAL_OVERHEAD_MS = 10_000;
const MIN_MAX_MS = 30_000;
const MAX_MAX_MS = 600_000;

/** What the trial checks after the abort, each with what the host said. */
export const TRIAL_CHECKS = ['source-running', 'destination-clear', 'source-no-job'] as const;
export type TrialCheckId = (typeof TRIAL_CHECKS)[number];

export const trialCheckSchema = z.object({
  check: z.enum(TRIAL_CHECKS),
  ok: z.boolean(),
  /** What was checked, in words ("vmd runs on hvA"). */
  title: z.string(),
  /** The command and what it printed (`virsh domstate --reason vmd` on hvA: `running (booted)`). */
  evidence: z.string(),
});
export type TrialCheck = z.infer<typeof trialCheckSchema>;

export const trialVerificationSchema = z.object({ ok: z.boolean(), checks: z.array(trialCheckSchema) });
export type TrialVerification = z.infer<typeof trialVerificationSchema>;

/**
 * Why a trial failed, for code; the message says it to a person:
 * - `not-ready`: the VM does not run on the source, or the destination already has a domain of that name (its
 *   leftovers could not be told from the trial's); nothing was started;
 * - `start-refused`: Ferry refused the start (the VM is already migrating, too many migrations from the host);
 * - `destination-refused`: the migration failed before any memory moved (libvirt's words);
 * - `migration-failed`: it failed after memory moved, before Ferry aborted it;
 * - `vm-vanished`: the VM disappeared from the source during the trial;
 * - `abort-failed`: the abort was refused, or the job was still running long after it;
 * - `abort-unverified`: the job ended but a check on the hosts failed (see the verification).
 */
export const TRIAL_FAILURES = ['not-ready', 'start-refused', 'destination-refused', 'migration-failed', 'vm-vanished', 'abort-failed', 'abort-unverified'] as const;
export type TrialFailureCode = (typeof TRIAL_FAILURES)[number];

const measured = {
  /** The trial's migration record (its samples are the measured passes). */
  id: z.string().min(1),
  /** Pre-copy passes begun (domjobinfo `Iteration`, the highest sampled). */
  passesSeen: z.number().int().nonnegative(),
  samples: z.number().int().nonnegative(),
  /** Data the source sent, as its last sample counted it (libvirt keeps no statistics of an aborted job). */
  bytesSent: z.number().nonnegative(),
  /** From the start of the job to its end. */
  durationMs: z.number().nonnegative(),
};

const common = {
  vm: z.string().min(1),
  source: z.string(),
  destination: z.string(),
  capMiBps: z.number().positive(),
  passes: z.number().int().positive(),
  /** One sentence for the admin. */
  message: z.string(),
};

export const trialResultSchema = z.discriminatedUnion('outcome', [
  /**
   * As planned: stopped after `passes` passes (or at the time limit; `elsewhere`: someone else aborted it), aborted,
   * and the abort verified.
   */
  z.object({ outcome: z.literal('aborted'), ...common, ...measured, stoppedBy: z.enum(['passes', 'max-time', 'elsewhere']), verification: trialVerificationSchema }),
  /**
   * The VM migrated within the trial (small or idle enough to finish at the cap): it runs on `where` now, not
   * defined there (transient), while the source keeps its definition, shut off.
   */
  z.object({
    outcome: z.literal('completed'),
    ...common,
    ...measured,
    where: z.object({ host: z.string(), state: z.string() }),
  }),
  z.object({
    outcome: z.literal('failed'),
    ...common,
    code: z.enum(TRIAL_FAILURES),
    /** The record, when the start was journalled. */
    id: z.string().min(1).optional(),
    /** libvirt's words or the command's error. */
    detail: z.string().optional(),
    verification: trialVerificationSchema.optional(),
  }),
]);
export type TrialResult = z.infer<typeof trialResultSchema>;

export interface TrialCostInputs {
  /** The VM's memory (what the first pass sends at most). */
  readonly memoryBytes: number;
  /** Default trialDefaultCap of the memory. */
  readonly capMiBps?: number;
  readonly passes?: number;
  /** The time limit; default: trialMaxMs. */
  readonly maxMs?: number;
}

export interface TrialCost {
  readonly capMiBps: number;
  readonly passes: number;
  readonly maxMs: number;
  /** At most this much over the migration network: the cap for the whole time limit. */
  readonly maxBytes: number;
  /** At most this long, the abort and the checks included. */
  readonly maxDurationMs: number;
  /** The first pass sends at most the VM's memory (zero pages cost almost nothing): this long at the cap. */
  readonly firstPassMaxMs: number;
  /** "At most 632 MiB over the migration network and 1 min 29 s: ..." */
  readonly sentence: string;
}

/**
 * The cap of a trial when none is asked for: 8 MiB/s, or more for a VM whose first pass would take over 30 s at 8
 * (at most 64 MiB/s): at 8 MiB/s a 4 GiB VM would spend the whole time limit in its first pass and measure nothing.
 * A higher cap does not let the trial complete (the 1 ms max downtime does not), and it measures dirty rates up to
 * itself (the rate QEMU reports is pinned at the cap when the guest writes faster).
 */
export function trialDefaultCap(memoryBytes: number | undefined): number {
  if (memoryBytes === undefined) return TRIAL_DEFAULT_CAP_MIBPS;
  const needed = Math.ceil(memoryBytes / MiB / (FIRST_PASS_MS / 1000));
  return Math.min(TRIAL_MAX_DEFAULT_CAP_MIBPS, Math.max(TRIAL_DEFAULT_CAP_MIBPS, needed));
}

/**
 * The time limit of a trial: twice what the first pass takes at most (the later passes each re-send what the guest
 * wrote meanwhile, less than the memory for a VM that can be predicted at all), plus the start, within 30 s..10 min.
 */
export function trialMaxMs(memoryBytes: number, capMiBps: number): number {
  const firstPass = (memoryBytes / (capMiBps * MiB)) * 1000;
  return Math.round(Math.min(MAX_MAX_MS, Math.max(MIN_MAX_MS, 2 * firstPass + 15_000)));
}

/** Pure: what a trial costs at most, before the admin agrees to it. Every figure is a bound the trial keeps. */
export function trialCost(inputs: TrialCostInputs): TrialCost {
  const capMiBps = inputs.capMiBps ?? trialDefaultCap(inputs.memoryBytes);
  const passes = inputs.passes ?? TRIAL_DEFAULT_PASSES;
  const maxMs = inputs.maxMs ?? trialMaxMs(inputs.memoryBytes, capMiBps);
  const firstPassMaxMs = Math.round((inputs.memoryBytes / (capMiBps * MiB)) * 1000);
  const maxBytes = capMiBps * MiB * (maxMs / 1000);
  const maxDurationMs = maxMs + TRIAL_OVERHEAD_MS;
  const sentence =
    `At most ${formatBytes(maxBytes, 0)} over the migration network and ${formatMilliseconds(maxDurationMs)}: the trial sends at ` +
    `${capMiBps} MiB/s or less and stops after pass ${passes} or at ${formatMilliseconds(maxMs)}, whichever comes first ` +
    `(its first pass sends up to the VM's ${formatBytes(inputs.memoryBytes, 0)}, ${formatMilliseconds(firstPassMaxMs)} at the cap). ` +
    'The VM keeps running on its host; the trial is aborted and the abort checked on both hosts.';
  return { capMiBps, passes, maxMs, maxBytes, maxDurationMs, firstPassMaxMs, sentence };
}
