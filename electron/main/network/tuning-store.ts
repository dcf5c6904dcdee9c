/**
 * The tuning's undo store: an append-only JSON-lines file (`tuning.jsonl` in the data directory), one record per
 * line, each appended with one write and fdatasync'd before the append resolves (the approach of the migration
 * journal, electron/main/migration/journal.ts, whose file-system seam this reuses).
 *
 *   {"v":1,"n":3,"type":"begin","id":"cs-...","at":...,"hostId":"...","changes":[{..., "apply":{...}, "undo":{...}}]}
 *
 * A change set's `begin` line holds every change with its previous value (the undo action) and, when persisting,
 * what the sysctl file held before. It is on disk BEFORE the first command runs, so a crash in the middle of an
 * apply (or a restart) still leaves everything needed to undo it. Then one `step` line per change, and an `end`.
 *
 * A torn LAST line (a crash mid-write: no newline, or not JSON) is skipped, kept aside as `tuning.jsonl.torn-<time>`
 * and cut off on open; a corrupt line in the middle is reported and skipped.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ferryError, type FerryError } from '../../../shared/errors';
import {
  changeOutcomeSchema,
  persistOutcomeSchema,
  tuningActionSchema,
  tuningRunResultSchema,
  type ChangeOutcome,
  type ChangeSetStatus,
  type ChangeSetSummary,
  type PersistOutcome,
  type TuningRunResult,
} from '../../../shared/tuning/types';
import { JsonlAppender, nodeJsonlFs, parseJsonl, type AppendHandle, type JsonlFs } from '../storage/jsonl';

export const TUNING_FILE = 'tuning.jsonl';

const fileContentSchema = z.discriminatedUnion('present', [
  z.object({ present: z.literal(false) }),
  z.object({ present: z.literal(true), content: z.string() }),
]);

const storedChangeSchema = z.object({
  id: z.string(),
  title: z.string(),
  current: z.string(),
  proposed: z.string(),
  apply: tuningActionSchema,
  undo: tuningActionSchema,
});
export type StoredChange = z.infer<typeof storedChangeSchema>;

const base = { v: z.literal(1), n: z.number().int().positive(), id: z.string().min(1), at: z.number() };
const lineSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('begin'),
    hostId: z.string(),
    hostName: z.string(),
    planId: z.string(),
    changes: z.array(storedChangeSchema),
    persist: z.object({ path: z.string(), before: fileContentSchema, after: z.string() }).optional(),
  }),
  z.object({ ...base, type: z.literal('step'), action: z.enum(['apply', 'undo']), outcome: changeOutcomeSchema }),
  z.object({ ...base, type: z.literal('persist'), action: z.enum(['apply', 'undo']), outcome: persistOutcomeSchema }),
  z.object({ ...base, type: z.literal('end'), action: z.enum(['apply', 'undo']), result: tuningRunResultSchema }),
]);
export type TuningLine = z.infer<typeof lineSchema>;
export type BeginLine = Extract<TuningLine, { type: 'begin' }>;
type Entry<T extends TuningLine['type']> = Omit<Extract<TuningLine, { type: T }>, 'v' | 'n'>;
export type TuningEntry = Entry<'begin'> | Entry<'step'> | Entry<'persist'> | Entry<'end'>;

export interface TuningLogProblem {
  readonly line: number;
  readonly kind: 'torn-tail' | 'corrupt';
  readonly error: FerryError;
}

export interface ParsedTuningLog {
  readonly lines: readonly TuningLine[];
  readonly problems: readonly TuningLogProblem[];
  /** Bytes up to and including the last complete line. */
  readonly cleanLength: number;
}

/** Pure. A last piece without a newline is torn even if it parses: its fdatasync never returned. */
export function parseTuningLog(text: string): ParsedTuningLog {
  const parsed = parseJsonl(text, (v) => {
    const p = lineSchema.safeParse(v);
    return p.success ? p.data : undefined;
  });
  const problems = parsed.problems.map((p): TuningLogProblem => ({
    line: p.line,
    kind: p.kind,
    error:
      p.kind === 'torn-tail'
        ? ferryError('inventory.corrupt', 'The last record of the tuning history was cut off (Ferry stopped while writing it); it was skipped.', p.text)
        : ferryError('inventory.corrupt', `Line ${p.line} of the tuning history is not a valid record; it was skipped.`, p.text),
  }));
  return { lines: parsed.lines, problems, cleanLength: parsed.cleanLength };
}

/** Everything the store knows about one change set. */
export interface ChangeSetRecord {
  readonly begin: BeginLine;
  readonly steps: readonly { readonly action: 'apply' | 'undo'; readonly outcome: ChangeOutcome }[];
  readonly persists: readonly { readonly action: 'apply' | 'undo'; readonly outcome: PersistOutcome }[];
  readonly applyEnd?: TuningRunResult;
  readonly undoEnds: readonly TuningRunResult[];
  /** When the last complete undo ended. */
  readonly undoAt?: number;
}

export function statusOf(r: ChangeSetRecord): ChangeSetStatus {
  const lastUndo = r.undoEnds[r.undoEnds.length - 1];
  if (lastUndo !== undefined) return lastUndo.complete ? 'undone' : 'undo-partial';
  if (r.applyEnd === undefined) return 'interrupted';
  if (r.applyEnd.complete) return 'applied';
  return r.applyEnd.outcomes.some((o) => o.status === 'applied') ? 'partial' : 'failed';
}

export function summaryOf(r: ChangeSetRecord): ChangeSetSummary {
  const lastUndo = r.undoEnds[r.undoEnds.length - 1];
  const last = lastUndo ?? r.applyEnd;
  return {
    id: r.begin.id,
    hostId: r.begin.hostId,
    hostName: r.begin.hostName,
    planId: r.begin.planId,
    at: new Date(r.begin.at).toISOString(),
    status: statusOf(r),
    changes: r.begin.changes.map((c) => ({ id: c.id, title: c.title, current: c.current, proposed: c.proposed })),
    persisted: r.begin.persist !== undefined,
    ...(lastUndo?.complete === true && r.undoAt !== undefined ? { undoneAt: new Date(r.undoAt).toISOString() } : {}),
    ...(last !== undefined ? { lastResult: last } : {}),
  };
}

interface MutableRecord {
  begin: BeginLine;
  steps: { action: 'apply' | 'undo'; outcome: ChangeOutcome }[];
  persists: { action: 'apply' | 'undo'; outcome: PersistOutcome }[];
  applyEnd?: TuningRunResult;
  undoEnds: TuningRunResult[];
  undoAt?: number;
}

export interface TuningStoreOptions {
  readonly dataDir: string;
  readonly fs?: JsonlFs;
  readonly wallClock?: () => number;
}

/** The open store. Appends are serialised and resolve only once on disk. */
export class TuningStore {
  private nextN: number;
  private readonly appender: JsonlAppender;
  private readonly sets = new Map<string, MutableRecord>();

  private constructor(
    readonly path: string,
    handle: AppendHandle,
    readonly problems: readonly TuningLogProblem[],
    lines: readonly TuningLine[],
  ) {
    this.nextN = (lines[lines.length - 1]?.n ?? 0) + 1;
    this.appender = new JsonlAppender(handle, 'tuning history');
    for (const l of lines) this.index(l);
  }

  static async open(o: TuningStoreOptions): Promise<TuningStore> {
    const fs = o.fs ?? nodeJsonlFs;
    const path = join(o.dataDir, TUNING_FILE);
    const text = (await fs.readFile(path)) ?? '';
    const parsed = parseTuningLog(text);
    if (parsed.cleanLength < Buffer.byteLength(text, 'utf8')) {
      const tail = Buffer.from(text, 'utf8').subarray(parsed.cleanLength).toString('utf8');
      await fs.writeAside(`${path}.torn-${(o.wallClock ?? Date.now)()}`, tail).catch(() => undefined);
      await fs.truncate(path, parsed.cleanLength);
    }
    const handle = await fs.openAppend(path);
    return new TuningStore(path, handle, parsed.problems, parsed.lines);
  }

  private index(l: TuningLine): void {
    if (l.type === 'begin') {
      this.sets.set(l.id, { begin: l, steps: [], persists: [], undoEnds: [] });
      return;
    }
    const r = this.sets.get(l.id);
    if (r === undefined) return;
    if (l.type === 'step') r.steps.push({ action: l.action, outcome: l.outcome });
    else if (l.type === 'persist') r.persists.push({ action: l.action, outcome: l.outcome });
    else if (l.action === 'apply') r.applyEnd = l.result;
    else {
      r.undoEnds.push(l.result);
      if (l.result.complete) r.undoAt = l.at;
    }
  }

  /** Appends one line; resolves once it is on disk (fdatasync returned). */
  append(entry: TuningEntry): Promise<TuningLine> {
    return this.appender.append(
      () => ({ v: 1, n: this.nextN, ...entry }) as TuningLine,
      (line) => {
        this.nextN = line.n + 1;
        this.index(line);
      },
    );
  }

  get(changeSetId: string): ChangeSetRecord | undefined {
    return this.sets.get(changeSetId);
  }

  /** Newest first. */
  list(hostId: string): ChangeSetSummary[] {
    return [...this.sets.values()]
      .filter((r) => r.begin.hostId === hostId)
      .sort((a, b) => b.begin.at - a.begin.at || b.begin.n - a.begin.n)
      .map((r) => summaryOf(r));
  }

  close(): Promise<void> {
    return this.appender.close();
  }
}
