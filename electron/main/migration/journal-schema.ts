/**
 * What a journal line's payload must hold to be read back as a record (record.ts's shapes). A line whose payload
 * fails here is damaged like a line that is not JSON: moved aside, not half-read into a record. The schemas check
 * every field of those shapes; further fields pass through untouched (newer writers).
 */
import { z } from 'zod';
import { ferryErrorSchema } from '../../../shared/ipc/define';
import { derivedJobFiguresSchema, domainJobInfoSchema, evacuationIdSchema, MIGRATION_PURPOSES } from '../../../shared/migration/record-schema';
import { preflightResultSchema } from '../../../shared/migration/preflight-result';
import { startPredictionSchema, UNREADABLE_START_PREDICTION } from '../../../shared/migration/predict-schema';
import type { MigrationEndPayload, MigrationEndState, MigrationEventKind, MigrationEventPayload, MigrationSamplePayload, MigrationStartPayload } from './record';

/** Every state an end or reconcile line may carry. */
export const END_STATES = ['completed', 'failed', 'aborted', 'refused', 'unknown'] as const;
// A state added to MigrationEndState must be added here, or its end lines would be moved aside as damaged.
type MissingEndState = Exclude<MigrationEndState, (typeof END_STATES)[number]>;
const endStatesComplete: [MissingEndState] extends [never] ? true : MissingEndState = true;
void endStatesComplete;

const hostRef = z.looseObject({ id: z.string(), name: z.string(), address: z.string() });

/** Every kind an event line may carry. */
const EVENT_KINDS = [
  'started',
  'phase',
  'control',
  'control-failed',
  'warning',
  'command-ended',
  'vm-vanished',
  'detached',
  'reattached',
  'post-copy',
  'post-copy-ended',
  'post-copy-interrupted',
  'post-copy-resume',
  'post-copy-resume-failed',
  'trial',
] as const;
type MissingEventKind = Exclude<MigrationEventKind, (typeof EVENT_KINDS)[number]>;
const eventKindsComplete: [MissingEventKind] extends [never] ? true : MissingEventKind = true;
void eventKindsComplete;

const count = z.number().int().nonnegative();

/**
 * The pre-flight a start line keeps. A check this version cannot read (written by another version, or garbled) is
 * kept as a skipped check that says so: the run's record stays whole and nothing is shown as passed.
 */
const unreadableCheck = { check: 'unknown', status: 'skipped' as const, message: 'This pre-flight result in the history could not be read.' };
const preflight = z.array(preflightResultSchema.catch(unreadableCheck)).catch([unreadableCheck]);

const start = z.looseObject({
  vm: z.string().min(1),
  source: hostRef,
  destination: hostRef,
  options: z.record(z.string(), z.unknown()),
  argv: z.array(z.string()),
  commandLine: z.string(),
  intervalMs: z.number(),
  preflight: preflight.exactOptional(),
  purpose: z.enum(MIGRATION_PURPOSES).exactOptional(),
  evacuationId: evacuationIdSchema.exactOptional(),
  prediction: startPredictionSchema.catch(UNREADABLE_START_PREDICTION).exactOptional(),
});

const sample = z.looseObject({
  seq: z.number(),
  latencyMs: z.number(),
  lateMs: z.number().exactOptional(),
  skippedBefore: count.exactOptional(),
  info: domainJobInfoSchema.exactOptional(),
  figures: derivedJobFiguresSchema.exactOptional(),
  error: ferryErrorSchema.exactOptional(),
});

const control = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('set-speed'), mibPerSecond: z.number() }),
  z.looseObject({ kind: z.literal('set-max-downtime'), ms: z.number() }),
  z.looseObject({ kind: z.literal('postcopy') }),
  z.looseObject({ kind: z.literal('abort') }),
  z.looseObject({ kind: z.literal('resume-postcopy') }),
]);

const event = z.looseObject({
  kind: z.enum(EVENT_KINDS),
  message: z.string(),
  control: control.exactOptional(),
  error: ferryErrorSchema.exactOptional(),
  detail: z.string().exactOptional(),
  split: z.looseObject({ source: z.string(), destination: z.string() }).exactOptional(),
});

const finalStats = z.looseObject({
  readOn: z.enum(['source', 'destination', 'none']),
  readVia: z.literal('job-completed-event').exactOptional(),
  info: domainJobInfoSchema.exactOptional(),
  totalTimeMs: z.number().exactOptional(),
  downtimeMs: z.number().exactOptional(),
  dataSentBytes: z.number().exactOptional(),
  memoryTotalBytes: z.number().exactOptional(),
});

const end = z.looseObject({
  state: z.enum(END_STATES),
  message: z.string(),
  error: ferryErrorSchema.exactOptional(),
  final: finalStats.exactOptional(),
  wallMs: z.number().exactOptional(),
});

// What passes a schema is a value of the record's type: checked here, at compile time, instead of a cast.
const startFits: z.infer<typeof start> extends MigrationStartPayload ? true : never = true;
const sampleFits: z.infer<typeof sample> extends MigrationSamplePayload ? true : never = true;
const eventFits: z.infer<typeof event> extends MigrationEventPayload ? true : never = true;
const endFits: z.infer<typeof end> extends MigrationEndPayload ? true : never = true;
void [startFits, sampleFits, eventFits, endFits];

/**
 * A repair line: damaged lines were moved out of the journal, or records were found missing (a gap); either way their
 * numbers are accounted for, and not reported again.
 */
export const repairPayloadSchema = z.object({
  /** File name (in the data directory) the damaged lines were written to; absent when only a gap was noted. */
  movedTo: z.string().min(1).optional(),
  /** Their line numbers in the file as it was. */
  lines: z.array(z.number().int().positive()),
  /** The record numbers they held (read from the fragment, or the one they must have had). */
  numbers: z.array(z.number().int().positive()),
});
export type RepairPayload = z.infer<typeof repairPayloadSchema>;

export const PAYLOAD_SCHEMAS = { start, sample, event, end, reconcile: end, repair: repairPayloadSchema } as const;

/**
 * The payload of a migration's line, checked against its schema: the one way the record builder reads a line, so a
 * payload is never taken on trust. The schemas check every field the record's types name and let further fields
 * through (newer writers); the compile-time checks above hold their output to those types.
 */
export type LinePayload =
  | { readonly type: 'start'; readonly payload: MigrationStartPayload }
  | { readonly type: 'sample'; readonly payload: MigrationSamplePayload }
  | { readonly type: 'event'; readonly payload: MigrationEventPayload }
  | { readonly type: 'end' | 'reconcile'; readonly payload: MigrationEndPayload };

/** Lines already checked (the parser checks each line it reads; the record builder then reads the same objects). */
const checked = new WeakMap<object, LinePayload | string>();

/**
 * The payload of a migration line checked against its type's schema, or why it fails (the schema's first complaint,
 * in words). Each line object is checked once.
 */
export function checkPayload(line: { readonly type: string; readonly [key: string]: unknown }): LinePayload | string {
  const known = checked.get(line);
  if (known !== undefined) return known;
  const result = check(line);
  checked.set(line, result);
  return result;
}

export function linePayload(line: { readonly type: string; readonly [key: string]: unknown }): LinePayload | undefined {
  const r = checkPayload(line);
  return typeof r === 'string' ? undefined : r;
}

function complaint(type: string, error: z.ZodError): string {
  const issue = error.issues[0];
  return `its ${type} ${issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'payload is invalid'}`;
}

function check(line: { readonly type: string; readonly [key: string]: unknown }): LinePayload | string {
  switch (line.type) {
    case 'start': {
      const r = start.safeParse(line['start']);
      return r.success ? { type: 'start', payload: r.data } : complaint('start', r.error);
    }
    case 'sample': {
      const r = sample.safeParse(line['sample']);
      return r.success ? { type: 'sample', payload: r.data } : complaint('sample', r.error);
    }
    case 'event': {
      const r = event.safeParse(line['event']);
      return r.success ? { type: 'event', payload: r.data } : complaint('event', r.error);
    }
    case 'end':
    case 'reconcile': {
      const r = end.safeParse(line[line.type]);
      return r.success ? { type: line.type, payload: r.data } : complaint(line.type, r.error);
    }
    default:
      return `no payload schema for type ${JSON.stringify(line.type)}`;
  }
}
