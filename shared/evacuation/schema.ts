/**
 * Evacuating a host for maintenance: the plan Ferry proposes before anything moves, and the evacuation as it runs.
 * Shared by main (which builds the plan from the inventory, `virsh hypervisor-cpu-compare` and the prediction, runs
 * it under per-host limits and journals it) and the renderer (which shows the plan, lets the admin change any row,
 * and follows the run). Every shape here crosses IPC or lands in the journal, so each is a schema.
 */
import { z } from 'zod';
import { migrationOptionsSchema } from '../migration/options';
import { CONVERGENCE_CALLS } from '../migration/predict-schema';
import { vmStateSchema } from '../inventory/types';

const hostId = z.string().min(1).max(100);
const vmName = z.string().min(1).max(256);

/** How many migrations run at once from one source and into one destination (oVirt's defaults: 2 and 2). */
export const evacuationLimitsSchema = z
  .object({
    perSource: z.number().int().min(1).max(64),
    perDestination: z.number().int().min(1).max(64),
  })
  .strict();
export type EvacuationLimits = z.infer<typeof evacuationLimitsSchema>;
export const DEFAULT_EVACUATION_LIMITS: EvacuationLimits = { perSource: 2, perDestination: 2 };

/**
 * What is done with one VM:
 * - `live`: a live migration with the row's options (post-copy is an option like any other);
 * - `offline`: `migrate --offline` of a stopped VM with a persistent definition;
 * - `skip`: left on the host, said so in the report;
 * - `shutdown`: shut down gracefully on the host (`virsh shutdown`), then left there.
 */
export const EVACUATION_ACTIONS = ['live', 'offline', 'skip', 'shutdown'] as const;
export type EvacuationAction = (typeof EVACUATION_ACTIONS)[number];

/** Why a destination cannot take a VM (or `undefined` in `candidateSchema.refusal` when it can). */
export const candidateSchema = z
  .object({
    hostId,
    hostName: z.string(),
    /** Absent: this host can take the VM. Otherwise one sentence: "in maintenance", "CPU incompatible: ...". */
    refusal: z.string().optional(),
    /** Memory the host has free after what the plan already sends there, bytes (absent when not known). */
    freeBytesAfter: z.number().optional(),
  })
  .strict();
export type EvacuationCandidate = z.infer<typeof candidateSchema>;

/** The prediction of one row, as far as the plan needs it (the dialog shows the whole prediction per migration). */
export const rowPredictionSchema = z
  .object({
    converges: z.enum(CONVERGENCE_CALLS),
    /** Predicted total time, ms (absent when the model cannot predict). */
    totalMs: z.number().nonnegative().optional(),
    downtimeMs: z.number().nonnegative().optional(),
    /** One sentence for the row: "about 6 s, downtime under 50 ms", "cannot predict: no history". */
    text: z.string(),
    /** The profile the model recommends for this VM, by name, when one exists. */
    profile: z.string().optional(),
  })
  .strict();
export type RowPrediction = z.infer<typeof rowPredictionSchema>;

/** A problem that puts a row at the top of the plan for the admin to decide. */
export const ROW_PROBLEMS = ['no-destination', 'will-not-converge', 'stopped', 'not-predictable', 'cpu-unknown'] as const;
export type RowProblem = (typeof ROW_PROBLEMS)[number];

export const planRowSchema = z
  .object({
    vm: vmName,
    state: vmStateSchema,
    persistent: z.boolean(),
    memoryBytes: z.number().nonnegative().optional(),
    /** The chosen destination (absent: none can take it, or the row is skipped / shut down). */
    destinationId: hostId.optional(),
    /** Every other host in the inventory, with why it cannot take this VM. */
    candidates: z.array(candidateSchema),
    action: z.enum(EVACUATION_ACTIONS),
    options: migrationOptionsSchema,
    prediction: rowPredictionSchema.optional(),
    /** Set when the admin must look at this row; the plan lists these first. */
    problem: z.object({ kind: z.enum(ROW_PROBLEMS), message: z.string() }).strict().optional(),
  })
  .strict();
export type PlanRow = z.infer<typeof planRowSchema>;

export const evacuationPlanSchema = z
  .object({
    hostId,
    hostName: z.string(),
    /** ms since the epoch. */
    createdAt: z.number(),
    limits: evacuationLimitsSchema,
    /** Problem rows first, then in the order they would start (quickest predicted first). */
    rows: z.array(planRowSchema),
    /** The whole evacuation under the limits, ms, from the rows' predictions (absent when too many are unknown). */
    estimateMs: z.number().nonnegative().optional(),
    /** One sentence: "about 4 min under 2 per source, 2 per destination; 2 VMs cannot be predicted". */
    estimateText: z.string(),
  })
  .strict();
export type EvacuationPlan = z.infer<typeof evacuationPlanSchema>;

export const EVACUATION_ROW_STATES = ['queued', 'running', 'done', 'failed', 'skipped', 'cancelled'] as const;
export type EvacuationRowState = (typeof EVACUATION_ROW_STATES)[number];

export const evacuationRowSchema = planRowSchema
  .extend({
    runState: z.enum(EVACUATION_ROW_STATES),
    /** The ordinary migration record this row ran as (absent while queued, for skips and shutdowns). */
    migrationId: z.string().optional(),
    startedAt: z.number().optional(),
    endedAt: z.number().optional(),
    totalTimeMs: z.number().optional(),
    downtimeMs: z.number().optional(),
    /** Why it failed or was skipped, in a person's words. */
    reason: z.string().optional(),
  })
  .strict();
export type EvacuationRow = z.infer<typeof evacuationRowSchema>;

/**
 * - `running`: starting queued rows as limits allow;
 * - `paused`: the running ones finish, nothing new starts;
 * - `ended`: every row done, failed, skipped or cancelled (`outcome` says how it went).
 */
export const EVACUATION_STATES = ['running', 'paused', 'ended'] as const;
export type EvacuationState = (typeof EVACUATION_STATES)[number];

export const evacuationViewSchema = z
  .object({
    id: z.string().min(1).max(100),
    hostId,
    hostName: z.string(),
    state: z.enum(EVACUATION_STATES),
    limits: evacuationLimitsSchema,
    rows: z.array(evacuationRowSchema),
    startedAt: z.number(),
    endedAt: z.number().optional(),
    /** When ended: `completed` (every VM off the host or decided), `partial` (some failed), `cancelled`, `aborted`. */
    outcome: z.enum(['completed', 'partial', 'cancelled', 'aborted']).optional(),
    /** Remaining time under the limits from the predictions and what the running ones have done, ms. */
    etaMs: z.number().nonnegative().optional(),
  })
  .strict();
export type EvacuationView = z.infer<typeof evacuationViewSchema>;

export const EVACUATION_CONTROLS = ['pause', 'resume', 'cancel-rest', 'abort-all'] as const;
export type EvacuationControl = (typeof EVACUATION_CONTROLS)[number];
