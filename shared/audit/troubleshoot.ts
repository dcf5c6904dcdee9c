/**
 * The troubleshooting panel's answer (ferry.audit.troubleshoot): the domain's QEMU log tail, recent NIC errors from
 * the kernel log, and the last domjobinfo samples of the most recent failed migration from the host (read from the
 * migration journal). Each part is a value or the error that kept it from being read, never a failed request.
 */
import { z } from 'zod';
import type { FerryError } from '../errors';
import { ferryErrorSchema } from '../ipc/define';
import type { DomainJobInfo } from '../parsers/virsh-domjobinfo';
import { pagesPerSecondToBytesPerSecond } from '../units';

/** A part of the answer: its value, or why it could not be read. */
function part<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: ferryErrorSchema })]);
}

export const logTailViewSchema = z.object({
  vm: z.string(),
  path: z.string(),
  /** false: libvirt has no log for this domain on this host. */
  exists: z.boolean(),
  lines: z.array(z.string()),
  /** How many lines were asked for (the tail may hold fewer). */
  requested: z.number().int().positive(),
});
export type LogTailView = z.infer<typeof logTailViewSchema>;

export const nicLogLineSchema = z.object({
  nic: z.string(),
  serious: z.boolean(),
  level: z.string(),
  seconds: z.number().optional(),
  text: z.string(),
});

export const sampleDigestSchema = z.object({
  at: z.number(),
  seq: z.number().int().nonnegative(),
  iteration: z.number().optional(),
  elapsedMs: z.number().optional(),
  dataProcessedBytes: z.number().optional(),
  dataRemainingBytes: z.number().optional(),
  bandwidthBytesPerSecond: z.number().optional(),
  dirtyRateBytesPerSecond: z.number().optional(),
  expectedDowntimeMs: z.number().optional(),
  /** The sample failed: the error it gave instead. */
  error: z.string().optional(),
});
export type SampleDigest = z.infer<typeof sampleDigestSchema>;

export const failedMigrationViewSchema = z.object({
  id: z.string(),
  vm: z.string(),
  destination: z.string(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** The end's sentence, and libvirt's own text when there is one. */
  message: z.string(),
  error: ferryErrorSchema.optional(),
  /** The last samples, oldest first. */
  samples: z.array(sampleDigestSchema),
  totalSamples: z.number().int().nonnegative(),
});
export type FailedMigrationView = z.infer<typeof failedMigrationViewSchema>;

export const troubleshootReportSchema = z.object({
  host: z.object({ id: z.string(), name: z.string() }),
  vm: z.string().optional(),
  /** Absent when no VM was named. */
  log: part(logTailViewSchema).optional(),
  nicErrors: part(z.object({ nics: z.array(z.string()), lines: z.array(nicLogLineSchema) })),
  /** `value: null`: no failed migration from this host (of this VM) in the journal. */
  failedMigration: part(failedMigrationViewSchema.nullable()),
});
export type TroubleshootReport = z.infer<typeof troubleshootReportSchema>;
export type Part<T> = { ok: true; value: T } | { ok: false; error: FerryError };

/** What a journal sample line carries (electron/main/migration/record.ts's MigrationSamplePayload, plus its time). */
export interface JournalSampleLike {
  readonly at: number;
  readonly seq: number;
  readonly info?: DomainJobInfo;
  readonly error?: FerryError;
}

/** The figures of a domjobinfo sample an admin reads after a failure, in bytes, bytes/s and ms. */
export function sampleDigest(s: JournalSampleLike): SampleDigest {
  const i = s.info;
  const out: Record<string, unknown> = { at: s.at, seq: s.seq };
  if (s.error) out.error = s.error.message;
  if (i) {
    const put = (k: string, v: number | undefined) => {
      if (v !== undefined) out[k] = v;
    };
    put('iteration', i.iteration);
    put('elapsedMs', i.timeElapsedMs);
    put('dataProcessedBytes', i.dataProcessedBytes);
    put('dataRemainingBytes', i.dataRemainingBytes);
    put('bandwidthBytesPerSecond', i.memoryBandwidthBytesPerSecond);
    put(
      'dirtyRateBytesPerSecond',
      i.dirtyRatePagesPerSecond === undefined || i.pageSizeBytes === undefined ? undefined : pagesPerSecondToBytesPerSecond(i.dirtyRatePagesPerSecond, i.pageSizeBytes),
    );
    put('expectedDowntimeMs', i.expectedDowntimeMs);
  }
  return out as SampleDigest;
}
