/**
 * The evacuations' journal: `evacuations.jsonl` in the data directory, append-only, one line each fdatasync'd before
 * the append resolves (storage/jsonl.ts, as the migration journal and the tuning history):
 *
 *   start        the plan as the admin started it (rows, options, limits)
 *   row-started  a row began: its migration's id (none for a shutdown)
 *   row-ended    a row's result: done, failed (the reason), skipped, cancelled; the migration's figures
 *   control      pause, resume, cancel-rest, abort-all
 *   end          every row ended: the outcome
 *
 * Replaying the lines gives each evacuation as it stood (replay is pure); one without an `end` is what a restart
 * picks up. A torn last line is set aside and cut off on open; a corrupt line in the middle is skipped and reported.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ferryError, type FerryError } from '../../../shared/errors';
import {
  EVACUATION_CONTROLS,
  EVACUATION_ROW_STATES,
  evacuationPlanSchema,
  type EvacuationControl,
  type EvacuationPlan,
  type EvacuationRow,
  type EvacuationView,
} from '../../../shared/evacuation/schema';
import { JsonlAppender, nodeJsonlFs, openJsonl, type JsonlFs } from '../storage/jsonl';

export const EVACUATION_JOURNAL_FILE = 'evacuations.jsonl';

const OUTCOMES = ['completed', 'partial', 'cancelled', 'aborted'] as const;
export type EvacuationOutcome = (typeof OUTCOMES)[number];

const base = { v: z.literal(1), n: z.number().int().positive(), id: z.string().min(1).max(100), at: z.number() };
const lineSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('start'), plan: evacuationPlanSchema }),
  z.object({ ...base, type: z.literal('row-started'), vm: z.string().min(1), migrationId: z.string().min(1).optional() }),
  z.object({
    ...base,
    type: z.literal('row-ended'),
    vm: z.string().min(1),
    runState: z.enum(EVACUATION_ROW_STATES).exclude(['queued', 'running']),
    migrationId: z.string().min(1).optional(),
    reason: z.string().optional(),
    totalTimeMs: z.number().nonnegative().optional(),
    downtimeMs: z.number().nonnegative().optional(),
  }),
  z.object({ ...base, type: z.literal('control'), action: z.enum(EVACUATION_CONTROLS) }),
  z.object({ ...base, type: z.literal('end'), outcome: z.enum(OUTCOMES) }),
]);
export type EvacuationLine = z.infer<typeof lineSchema>;
type Entry<T extends EvacuationLine['type']> = Omit<Extract<EvacuationLine, { type: T }>, 'v' | 'n'>;
export type EvacuationEntry = Entry<'start'> | Entry<'row-started'> | Entry<'row-ended'> | Entry<'control'> | Entry<'end'>;
export type RowEnd = Omit<Entry<'row-ended'>, 'type' | 'id' | 'at' | 'vm'>;

/** An evacuation as its lines say it stands: the view, the plan it started from, the controls sent. */
export interface EvacuationRecord {
  readonly plan: EvacuationPlan;
  readonly view: EvacuationView;
  readonly controls: readonly EvacuationControl[];
}

const rowOf = (r: EvacuationPlan['rows'][number]): EvacuationRow => ({ ...r, runState: 'queued' });

/** Pure: the record after one line (a line of an unknown evacuation, or of a row not in its plan, changes nothing). */
export function applyEvacuationLine(rec: EvacuationRecord | undefined, l: EvacuationLine): EvacuationRecord | undefined {
  if (l.type === 'start') {
    const { plan } = l;
    return {
      plan,
      controls: [],
      view: { id: l.id, hostId: plan.hostId, hostName: plan.hostName, state: 'running', limits: plan.limits, rows: plan.rows.map(rowOf), startedAt: l.at },
    };
  }
  if (!rec) return undefined;
  const v = rec.view;
  const withRow = (vm: string, f: (r: EvacuationRow) => EvacuationRow): EvacuationRecord => ({ ...rec, view: { ...v, rows: v.rows.map((r) => (r.vm === vm ? f(r) : r)) } });
  switch (l.type) {
    case 'row-started':
      return withRow(l.vm, (r) => ({ ...r, runState: 'running', startedAt: l.at, ...(l.migrationId !== undefined ? { migrationId: l.migrationId } : {}) }));
    case 'row-ended': {
      const { type: _t, id: _i, at, vm, v: _v, n: _n, ...end } = l;
      return withRow(vm, (r) => ({ ...r, ...end, endedAt: at }));
    }
    case 'control': {
      const state = l.action === 'pause' ? 'paused' : l.action === 'resume' ? 'running' : v.state;
      return { ...rec, controls: [...rec.controls, l.action], view: { ...v, state } };
    }
    case 'end':
      return { ...rec, view: { ...v, state: 'ended', outcome: l.outcome, endedAt: l.at } };
  }
}

export interface EvacuationJournalOptions {
  readonly dataDir: string;
  readonly fs?: JsonlFs;
  readonly wallClock?: () => number;
}

/** The open journal. Appends are serialised and resolve only once on disk. */
export class EvacuationJournal {
  private nextN: number;
  private readonly appender: JsonlAppender;
  private readonly byId = new Map<string, EvacuationRecord>();

  private constructor(
    readonly path: string,
    appender: JsonlAppender,
    /** What was set aside when the file was opened, for the start-up problems list. */
    readonly problems: readonly FerryError[],
    lines: readonly EvacuationLine[],
  ) {
    this.appender = appender;
    this.nextN = (lines[lines.length - 1]?.n ?? 0) + 1;
    for (const l of lines) this.index(l);
  }

  static async open(o: EvacuationJournalOptions): Promise<EvacuationJournal> {
    const path = join(o.dataDir, EVACUATION_JOURNAL_FILE);
    const accept = (v: unknown) => {
      const p = lineSchema.safeParse(v);
      return p.success ? p.data : undefined;
    };
    const opened = await openJsonl(o.fs ?? nodeJsonlFs, path, accept, (o.wallClock ?? Date.now)());
    const problems = opened.problems.map((p) =>
      ferryError(
        'inventory.corrupt',
        p.kind === 'torn-tail'
          ? 'The last line of the evacuations journal was cut off (Ferry stopped while writing it); it was skipped.'
          : `Line ${p.line} of the evacuations journal could not be read; it was skipped.`,
        p.text,
      ),
    );
    return new EvacuationJournal(path, new JsonlAppender(opened.handle, 'evacuations journal'), problems, opened.lines);
  }

  private index(l: EvacuationLine): void {
    const next = applyEvacuationLine(this.byId.get(l.id), l);
    if (next) this.byId.set(l.id, next);
  }

  /** Appends one line; resolves with the evacuation as it now stands once the line is on disk. */
  async append(entry: EvacuationEntry): Promise<EvacuationRecord> {
    const line = await this.appender.append(
      () => ({ v: 1, n: this.nextN, ...entry }) as EvacuationLine,
      (l) => {
        this.nextN = l.n + 1;
        this.index(l);
      },
    );
    const rec = this.byId.get(line.id);
    if (!rec) throw new Error(`evacuation ${line.id} has no start line`);
    return rec;
  }

  get(id: string): EvacuationRecord | undefined {
    return this.byId.get(id);
  }

  /** Oldest first. */
  all(): readonly EvacuationRecord[] {
    return [...this.byId.values()];
  }

  close(): Promise<void> {
    return this.appender.close();
  }
}
