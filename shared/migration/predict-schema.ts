/**
 * What the outcome of a migration is predicted from, and what the prediction says. Shared by main (which gathers
 * the inputs: the VM's earlier runs in the journal, a trial pre-copy, `domdirtyrate-calc` on KVM domains, the domain's
 * memory, the link) and the renderer (which runs the model, shared/migration/predict.ts, for the options on screen
 * and for each profile as fields change). The inputs cross IPC, so they are schemas; the model is pure.
 *
 * The physics the model carries (measured on the lab): the guest re-dirties a writable working set at its own write
 * speed; each pre-copy pass re-sends what was written while the previous pass was on the wire, bounded by the working
 * set; QEMU switches over when what is left fits in the max downtime at the current bandwidth. Knowing only a dirty
 * rate, or only the working set, gets the lab's runs wrong, so both are inputs.
 */
import { z } from 'zod';

/**
 * Where an input came from, named in the UI beside it:
 * - `history`: the VM's (or the host pair's) earlier migrations in Ferry's journal;
 * - `trial`: a trial pre-copy run just now (a real migration at a low cap, aborted after a few passes);
 * - `dirtyrate-calc`: `virsh domdirtyrate-calc` page-sampling (KVM domains only: it is never run on a TCG domain);
 * - `domain`: the domain's own definition or state (`virsh dominfo`);
 * - `options`: the options on screen (a bandwidth cap);
 * - `link`: the migration NIC's speed or the path check;
 * - `unknown`: not known; the prediction says what would make it known.
 */
export const PREDICTION_SOURCES = ['history', 'trial', 'dirtyrate-calc', 'domain', 'options', 'link', 'unknown'] as const;
export type PredictionSource = (typeof PREDICTION_SOURCES)[number];

/** A quantity with the range the model's answer inherits: `low <= value <= high`. */
export const estimateSchema = z
  .object({
    value: z.number().nonnegative(),
    low: z.number().nonnegative(),
    high: z.number().nonnegative(),
    source: z.enum(PREDICTION_SOURCES),
    /** One sentence: what it was measured from ("3 earlier runs hvA -> hvB, newest 2026-12-01"). */
    basis: z.string(),
  })
  .strict()
  .refine((e) => e.low <= e.value && e.value <= e.high, 'low <= value <= high');
export type Estimate = z.infer<typeof estimateSchema>;

/**
 * Everything the model needs about one VM and one route, each part optional: a part that is not known is absent, and
 * the prediction then says it cannot predict and what to do (run a trial, migrate once).
 */
export const predictionInputsSchema = z
  .object({
    vm: z.string().min(1),
    /** Guest memory, bytes. */
    memoryBytes: estimateSchema.optional(),
    /** What the first (bulk) pass really sends, bytes: memory minus zero pages (sent as flags), plus the header cost. */
    firstPassBytes: estimateSchema.optional(),
    /** The writable working set: the distinct memory the guest keeps re-dirtying, bytes. */
    workingSetBytes: estimateSchema.optional(),
    /** How fast the guest dirties pages of its working set while it writes, bytes/s (not QEMU's averaged dirty rate). */
    writeBytesPerSecond: estimateSchema.optional(),
    /** What the route gives a migration without a cap, bytes/s: earlier runs between the hosts, the NIC, the path. */
    linkBytesPerSecond: estimateSchema.optional(),
    /** Time before memory moves (connection, destination QEMU start), ms: earlier runs' first sample, else a default. */
    setupMs: estimateSchema.optional(),
    /** The journal records the history-based parts came from, newest first. */
    basisRunIds: z.array(z.string()),
    /** Things the admin should know about the inputs ("dirtyrate-calc reported 0 MB/s, history says 5 MiB/s: not trusted"). */
    notes: z.array(z.string()),
  })
  .strict();
export type PredictionInputs = z.infer<typeof predictionInputsSchema>;

/** A predicted figure with its range (from the inputs' ranges). */
export const rangeSchema = z.object({ value: z.number().nonnegative(), low: z.number().nonnegative(), high: z.number().nonnegative() }).strict();
export type PredictedRange = z.infer<typeof rangeSchema>;

/** The parts of the options a change touches (MigrationOptions field names), as the remedy would set them. */
export const optionChangeSchema = z
  .object({
    bandwidthMiBps: z.number().int().positive().optional(),
    maxDowntimeMs: z.number().int().positive().optional(),
    autoConverge: z.boolean().optional(),
    postcopy: z.boolean().optional(),
    /** Switch to post-copy by itself after the first pass (the post-copy remedy sets it with `postcopy`). */
    postcopyAfterPrecopy: z.boolean().optional(),
  })
  .strict();
export type OptionChange = z.infer<typeof optionChangeSchema>;

/**
 * - `yes`: converges across the inputs' whole range;
 * - `no`: does not converge anywhere in it (without a throttle or post-copy doing it);
 * - `uncertain`: the range straddles the line; the sentence says which input decides.
 */
export const CONVERGENCE_CALLS = ['yes', 'no', 'uncertain'] as const;
export type ConvergenceCall = (typeof CONVERGENCE_CALLS)[number];

/** How it ends, if it ends: pre-copy alone, after auto-converge throttled the guest, or by a post-copy switch. */
export const ENDINGS = ['pre-copy', 'auto-converge', 'post-copy', 'never'] as const;
export type Ending = (typeof ENDINGS)[number];

export const predictedOutcomeSchema = z
  .object({
    converges: z.enum(CONVERGENCE_CALLS),
    ending: z.enum(ENDINGS),
    /** Absent when it does not end. */
    totalTimeMs: rangeSchema.optional(),
    downtimeMs: rangeSchema.optional(),
    passes: rangeSchema.optional(),
    /** Sent until the end, or during the first minute for a run that never ends. */
    dataBytes: rangeSchema.optional(),
    /** The throttle auto-converge reaches, percent. */
    throttlePercent: z.number().min(0).max(99).optional(),
  })
  .strict();
export type PredictedOutcome = z.infer<typeof predictedOutcomeSchema>;

/** The smallest change that makes a run converge, and what the model expects with it. */
export const predictedChangeSchema = z
  .object({
    change: optionChangeSchema,
    /** One sentence with the numbers: "At 32 MiB/s: about 6 s, downtime under 300 ms." */
    label: z.string(),
    outcome: predictedOutcomeSchema,
  })
  .strict();
export type PredictedChange = z.infer<typeof predictedChangeSchema>;

export const predictionSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('cannot-predict'),
      /** Which inputs are missing (predictionInputsSchema field names). */
      missing: z.array(z.string()),
      /** What to do: "Cannot predict: no history for vmd; run a trial pre-copy or migrate it once." */
      message: z.string(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('predicted'),
      outcome: predictedOutcomeSchema,
      /** One sentence with the numbers and the deciding input. */
      sentence: z.string(),
      /** For a run that does not (or may not) converge: the smallest changes that make it, cheapest first. */
      changes: z.array(predictedChangeSchema),
    })
    .strict(),
]);
export type Prediction = z.infer<typeof predictionSchema>;

/** What a migration's record keeps of the prediction made at its start: the inputs, and the answer for its options. */
export const startPredictionSchema = z.object({ inputs: predictionInputsSchema, prediction: predictionSchema }).strict();
export type StartPrediction = z.infer<typeof startPredictionSchema>;

/** A recorded prediction this version cannot read (another version wrote it, or it is damaged): said, not dropped. */
export const UNREADABLE_START_PREDICTION: StartPrediction = {
  inputs: { vm: '?', basisRunIds: [], notes: [] },
  prediction: { kind: 'cannot-predict', missing: [], message: 'The prediction recorded with this run could not be read.' },
};
