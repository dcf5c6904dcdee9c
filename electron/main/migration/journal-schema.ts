/**
 * What a journal line's payload must hold to be read back as a record (record.ts's shapes). A line whose payload
 * fails here is damaged like a line that is not JSON: moved aside, not half-read into a record. The schemas ask only
 * for what the record builder and the views rely on; further fields pass through untouched (older and newer writers).
 */
import { z } from 'zod';
import type { MigrationEndState } from './record';

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
