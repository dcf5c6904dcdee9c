/**
 * What a journal line's payload must hold to be read back as a record (record.ts's shapes). A line whose payload
 * fails here is damaged like a line that is not JSON: moved aside, not half-read into a record. The schemas ask only
 * for what the record builder and the views rely on; further fields pass through untouched (older and newer writers).
 */
import { z } from 'zod';
import type { MigrationEndPayload, MigrationEndState, MigrationEventPayload, MigrationSamplePayload, MigrationStartPayload } from './record';

/** Every state an end or reconcile line may carry. */
export const END_STATES = ['completed', 'failed', 'aborted', 'refused', 'unknown'] as const;
// A state added to MigrationEndState must be added here, or its end lines would be moved aside as damaged.
type MissingEndState = Exclude<MigrationEndState, (typeof END_STATES)[number]>;
const endStatesComplete: [MissingEndState] extends [never] ? true : MissingEndState = true;
void endStatesComplete;

const hostRef = z.looseObject({ id: z.string(), name: z.string(), address: z.string() });

const start = z.looseObject({
  vm: z.string().min(1),
  source: hostRef,
  destination: hostRef,
  options: z.record(z.string(), z.unknown()).optional(),
  argv: z.array(z.string()).optional(),
  commandLine: z.string().optional(),
  intervalMs: z.number().optional(),
});

const sample = z.looseObject({
  seq: z.number(),
  latencyMs: z.number(),
  info: z.looseObject({}).optional(),
  figures: z.looseObject({}).optional(),
  error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
});

const event = z.looseObject({ kind: z.string().min(1), message: z.string() });

const end = z.looseObject({
  state: z.enum(END_STATES),
  message: z.string(),
  error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
  final: z.looseObject({}).optional(),
});

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
 * payload is never taken on trust. The schemas check what the builder and the views rely on and let further fields
 * through (older and newer writers), so their output is given the record's types here, once (the
 * nested statistics are the parser's own output, written by Ferry, and only their presence is checked).
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
      return r.success ? { type: 'start', payload: r.data as unknown as MigrationStartPayload } : complaint('start', r.error);
    }
    case 'sample': {
      const r = sample.safeParse(line['sample']);
      return r.success ? { type: 'sample', payload: r.data as unknown as MigrationSamplePayload } : complaint('sample', r.error);
    }
    case 'event': {
      const r = event.safeParse(line['event']);
      return r.success ? { type: 'event', payload: r.data as unknown as MigrationEventPayload } : complaint('event', r.error);
    }
    case 'end':
    case 'reconcile': {
      const r = end.safeParse(line[line.type]);
      return r.success ? { type: line.type, payload: r.data as unknown as MigrationEndPayload } : complaint(line.type, r.error);
    }
    default:
      return `no payload schema for type ${JSON.stringify(line.type)}`;
  }
}
