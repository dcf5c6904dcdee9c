/**
 * A migration as Ferry keeps it and shows it: the record (journal, history, live view, reports), its domjobinfo
 * samples, and the migrations stream's events. The IPC contract, the journal and the renderer all take their types
 * from here.
 */
import { z } from 'zod';
import { ferryErrorSchema } from '../ipc/define';
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import type { DerivedJobFigures } from './derive';
import { migrationOptionsSchema } from './options';
import { preflightResultSchema } from './preflight-result';
import { predictionSchema } from './predict-schema';
import { MIGRATION_STATES } from './state';
import { migrationVerdictSchema } from './verdict';

/** true when A and B are assignable both ways (readonly aside): a schema and the type it stands for agree. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const migrationIdSchema = z.string().min(1).max(100);
const migrationId = migrationIdSchema;
const hostId = z.string().min(1).max(100);
const count = z.number().int().nonnegative();
const bytes = z.number().nonnegative();

/** A domjobinfo sample as shared/parsers/virsh-domjobinfo.ts parses it (every numeric field optional: lines come and go). */
export const domainJobInfoSchema = z.object({
  format: z.enum(['human', 'raw']),
  type: z.enum(['none', 'bounded', 'unbounded', 'completed', 'failed', 'cancelled']),
  operation: z
    .enum(['unknown', 'start', 'save', 'restore', 'incoming-migration', 'outgoing-migration', 'snapshot', 'snapshot-revert', 'dump', 'backup', 'snapshot-delete'])
    .exactOptional(),
  errorMessage: z.string().exactOptional(),
  success: z.boolean().exactOptional(),
  other: z.record(z.string(), z.string()).exactOptional(),
  timeElapsedMs: count.exactOptional(),
  timeElapsedWithoutNetworkMs: count.exactOptional(),
  timeRemainingMs: count.exactOptional(),
  dataProcessedBytes: bytes.exactOptional(),
  dataRemainingBytes: bytes.exactOptional(),
  dataTotalBytes: bytes.exactOptional(),
  memoryProcessedBytes: bytes.exactOptional(),
  memoryRemainingBytes: bytes.exactOptional(),
  memoryTotalBytes: bytes.exactOptional(),
  memoryBandwidthBytesPerSecond: bytes.exactOptional(),
  dirtyRatePagesPerSecond: count.exactOptional(),
  pageSizeBytes: count.exactOptional(),
  iteration: count.exactOptional(),
  postcopyRequests: count.exactOptional(),
  constantPages: count.exactOptional(),
  normalPages: count.exactOptional(),
  normalDataBytes: bytes.exactOptional(),
  expectedDowntimeMs: count.exactOptional(),
  totalDowntimeMs: count.exactOptional(),
  downtimeWithoutNetworkMs: count.exactOptional(),
  setupTimeMs: count.exactOptional(),
  fileProcessedBytes: bytes.exactOptional(),
  fileRemainingBytes: bytes.exactOptional(),
  fileTotalBytes: bytes.exactOptional(),
  fileBandwidthBytesPerSecond: bytes.exactOptional(),
  compressionCacheBytes: bytes.exactOptional(),
  compressedDataBytes: bytes.exactOptional(),
  compressedPages: count.exactOptional(),
  compressionCacheMisses: count.exactOptional(),
  compressionOverflows: count.exactOptional(),
  autoConvergeThrottlePercent: count.exactOptional(),
  tempDiskUsedBytes: bytes.exactOptional(),
  tempDiskTotalBytes: bytes.exactOptional(),
  vfioDataTransferredBytes: bytes.exactOptional(),
});
// The parser's type and this schema are one shape: a field added to one and not the other fails to compile.
const jobInfoAgrees: SameShape<z.infer<typeof domainJobInfoSchema>, DomainJobInfo> = true;

export const derivedJobFiguresSchema = z.object({
  elapsedMs: z.number().exactOptional(),
  throughputBytesPerSecond: z.number().exactOptional(),
  throughputSource: z.enum(['reported', 'counter']).exactOptional(),
  dirtyRateBytesPerSecond: z.number().exactOptional(),
  processedBytes: z.number().exactOptional(),
  remainingBytes: z.number().exactOptional(),
  totalBytes: z.number().exactOptional(),
  iteration: z.number().exactOptional(),
  expectedDowntimeMs: z.number().exactOptional(),
  passProgress: z.number().min(0).max(1).exactOptional(),
});
const figuresAgree: SameShape<z.infer<typeof derivedJobFiguresSchema>, DerivedJobFigures> = true;
void jobInfoAgrees;
void figuresAgree;

/**
 * One domjobinfo sample of a migration: the parsed statistics, the figures derived from them and the previous
 * sample, and the verdict after it. A sample that failed (the source's "domain is not running" at the switch-over)
 * carries the error instead of info/figures.
 */
export const migrationSampleSchema = z.object({
  seq: count,
  /** Wall-clock time the sample was requested, ms since the epoch. */
  at: z.number(),
  latencyMs: z.number().nonnegative(),
  info: domainJobInfoSchema.optional(),
  figures: derivedJobFiguresSchema.optional(),
  error: ferryErrorSchema.optional(),
  verdict: migrationVerdictSchema.optional(),
});
export type MigrationSample = z.infer<typeof migrationSampleSchema>;

const migrationHostSchema = z.object({ id: hostId, name: z.string() });

/** Why Ferry ran a migration when not to move the VM: `trial`, a trial pre-copy aborted after a few passes on purpose. */
/** An evacuation's id, as a migration started for it carries it. */
export const evacuationIdSchema = z.string().min(1).max(100);

export const MIGRATION_PURPOSES = ['trial'] as const;
export type MigrationPurpose = (typeof MIGRATION_PURPOSES)[number];

export const migrationEventSchema = z.object({
  at: z.number(),
  /** started, phase, control, control-failed, warning, command-ended, vm-vanished, ... */
  kind: z.string().min(1),
  text: z.string(),
});
export type MigrationEventView = z.infer<typeof migrationEventSchema>;

/** A migration as the history and the live view show it (samples travel separately: `ferry.migrations.get`, watch). */
export const migrationRecordSchema = z.object({
  id: migrationId,
  vm: z.string().min(1),
  source: migrationHostSchema,
  destination: migrationHostSchema,
  options: migrationOptionsSchema,
  /** The exact command line(s) run on the source, as the dialog showed them. */
  commandLine: z.string(),
  preflight: z.array(preflightResultSchema),
  /** Absent for a migration meant to move the VM; `trial`: the history labels it so. */
  purpose: z.enum(MIGRATION_PURPOSES).optional(),
  /** The host evacuation this migration ran for (absent for one started on its own). */
  evacuationId: evacuationIdSchema.optional(),
  /** What Ferry predicted at the start for these options (absent for runs started before predictions, and trials). */
  prediction: predictionSchema.optional(),
  state: z.enum(MIGRATION_STATES),
  /** ms since the epoch. */
  startedAt: z.number(),
  endedAt: z.number().optional(),
  result: z.object({
    totalTimeMs: z.number().optional(),
    downtimeMs: z.number().optional(),
    dataBytes: z.number().optional(),
    /** libvirt's own text in `detail`. */
    error: ferryErrorSchema.optional(),
  }),
  events: z.array(migrationEventSchema),
  /**
   * The bandwidth cap and max downtime in force now: the options', or the last value a live control
   * (migrate-setspeed, migrate-setmaxdowntime) applied. Absent in records of older Ferry versions.
   */
  limits: z.object({ bandwidthMiBps: z.number().positive().optional(), maxDowntimeMs: z.number().positive().optional() }).optional(),
  /** The verdict after the last sample (absent before the first one). */
  verdict: migrationVerdictSchema.optional(),
  /**
   * The post-copy phase, when the run switched: from the switch (ms since the epoch) to the end of the phase, and
   * whether any sample of the running job was taken in it (a short phase has only its events).
   */
  postcopy: z.object({ startedAt: z.number(), endedAt: z.number().optional(), sampled: z.boolean() }).optional(),
  /**
   * The last interruption of the post-copy phase, while the record is `post-copy-interrupted` and after a resume
   * finished it: when it broke, what each host said (`virsh domstate --reason`, e.g. "paused (post-copy failed)"),
   * how many resumes were tried and why the last one failed, in libvirt's words.
   */
  interruption: z
    .object({
      at: z.number(),
      source: z.string(),
      destination: z.string(),
      resumes: z.number().int().nonnegative(),
      resumedAt: z.number().optional(),
      lastResumeError: ferryErrorSchema.optional(),
    })
    .optional(),
});
export type MigrationRecordView = z.infer<typeof migrationRecordSchema>;

/**
 * How many ended migrations the watch's first snapshot carries besides every one not ended: the console's history
 * panel shows the recent runs, the Reports browser the whole history (read when it is opened), so a console starts
 * in the same time after years of migrations.
 */
export const WATCH_SNAPSHOT_ENDED = 50;

export const migrationWatchEventSchema = z.discriminatedUnion('type', [
  /** First event of a subscription: every record (or the one asked for), without samples. */
  z.object({ type: z.literal('snapshot'), records: z.array(migrationRecordSchema) }),
  z.object({ type: z.literal('record'), record: migrationRecordSchema }),
  z.object({ type: z.literal('sample'), id: migrationId, sample: migrationSampleSchema }),
]);
export type MigrationWatchEvent = z.infer<typeof migrationWatchEventSchema>;
