/**
 * The migration journal's lines as text: what a line is, how a row of the file becomes one (or a damaged line, and
 * why), the numbering and its gaps, and the one message for damage. Pure: the journal (journal.ts) feeds it rows as
 * it streams them, tests feed it strings.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { checkPayload, repairPayloadSchema, type RepairPayload } from './journal-schema';
import { EMPTY_SCAN, type ScanState } from './journal-index';
export const JOURNAL_FILE = 'migrations.jsonl';
export const JOURNAL_VERSION = 1;

export type JournalLineType = 'start' | 'sample' | 'event' | 'end' | 'reconcile';

/** What every line carries. The rest depends on `type` (see record.ts for the migration shapes). */
export interface JournalLine {
  readonly v: 1;
  readonly n: number;
  readonly type: JournalLineType;
  /** The migration this line belongs to. */
  readonly id: string;
  /** Wall-clock ms since the epoch. */
  readonly at: number;
  readonly [key: string]: unknown;
}

export type JournalEntry = Omit<JournalLine, 'v' | 'n'>;

/** A `repair` line (not a migration's: its `id` is REPAIR_ID), written when damaged lines were moved aside. */
export interface RepairLine {
  readonly n: number;
  readonly at: number;
  readonly repair: RepairPayload;
}
export const REPAIR_ID = 'journal';

export type DamageReason = 'cut-off' | 'not-json' | 'not-a-record' | 'bad-payload';

export interface DamagedLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: DamageReason;
  /** Why, in words (the parser's or the schema's complaint). */
  readonly why: string;
  /** The record number it held, or the one it must have had (one after the line before it). */
  readonly n: number;
  /** The line's text as it was (without its newline). */
  readonly text: string;
}

export interface JournalProblem {
  /** 1-based line number in the file (of the first damaged line, for a move). */
  readonly line: number;
  /** 'damaged': lines moved aside (or that could not be); 'gap': numbers missing that nothing accounts for. */
  readonly kind: 'damaged' | 'gap';
  readonly error: FerryError;
}

export interface ParsedJournal {
  /** The migrations' lines, in file order. */
  readonly lines: readonly JournalLine[];
  readonly repairs: readonly RepairLine[];
  readonly damaged: readonly DamagedLine[];
  /** Jumps in the numbers that no damaged line or repair line accounts for. */
  readonly problems: readonly JournalProblem[];
  /** The numbers those jumps skip. */
  readonly missing: readonly number[];
  /** The number the next appended line takes: above every number the file holds or held. */
  readonly nextN: number;
}

const TYPES: ReadonlySet<string> = new Set(['start', 'sample', 'event', 'end', 'reconcile', 'repair']);

/** One parsed value as a journal line, or why it is not one (its payload read through its schema). */
export function asLine(value: unknown): { line: JournalLine } | { reason: DamageReason; why: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { reason: 'not-a-record', why: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  const bad = (why: string) => ({ reason: 'not-a-record' as const, why });
  if (o['v'] !== JOURNAL_VERSION) return bad(`unknown version ${JSON.stringify(o['v'])}`);
  if (typeof o['n'] !== 'number' || !Number.isInteger(o['n']) || o['n'] < 1) return bad('no line number');
  const type = o['type'];
  if (typeof type !== 'string' || !TYPES.has(type)) return bad(`unknown type ${JSON.stringify(type)}`);
  if (typeof o['id'] !== 'string' || o['id'] === '') return bad('no migration id');
  if (typeof o['at'] !== 'number') return bad('no time');
  if (type === 'repair') {
    const repair = repairPayloadSchema.safeParse(o['repair']);
    if (!repair.success) {
      const issue = repair.error.issues[0];
      return { reason: 'bad-payload', why: `its repair ${issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'payload is invalid'}` };
    }
    return { line: o as JournalLine };
  }
  const payload = checkPayload(o as JournalLine);
  return typeof payload === 'string' ? { reason: 'bad-payload', why: payload } : { line: o as JournalLine };
}

const REASON_WORDS: Record<DamageReason, string> = {
  'cut-off': 'cut off in the middle of a write',
  'not-json': 'not valid JSON',
  'not-a-record': 'not a record',
  'bad-payload': 'with invalid content',
};

/** A fragment's own number, when it got that far (`{"v":1,"n":17,"ty`). */
function fragmentNumber(text: string): number | undefined {
  const m = /^\{"v":\d+,"n":(\d+)[,}]/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Reads the journal row by row, in file order, from the start or from where an earlier scan stopped (the index's
 * ScanState): the same judgement whether the whole text is at hand (parseJournal) or the file is streamed.
 */
export class JournalScanner {
  private readonly repairs: RepairLine[];
  private readonly damaged: DamagedLine[] = [];
  private rows: number;
  private lastN: number;
  private maxN: number;
  /** The number of the whole line before (for gaps), and the jumps seen, judged at the end against what accounts for them. */
  private prevWhole: number | undefined;
  private readonly jumps: { line: number; from: number; n: number }[] = [];
  /** Numbers of whole lines that came after a higher one: the only whole lines that can fill an earlier jump. */
  private readonly late = new Set<number>();

  constructor(state: ScanState = EMPTY_SCAN) {
    this.rows = state.rows;
    this.lastN = state.lastN;
    this.maxN = state.maxN;
    this.prevWhole = state.lastN > 0 ? state.lastN : undefined;
    this.repairs = [...state.repairs];
  }

  /**
   * One row (without its newline); `complete`: a newline followed it. Returns the migration line it holds, when it is
   * whole and valid.
   */
  row(row: string, complete: boolean): JournalLine | undefined {
    const lineNo = ++this.rows;
    if (row.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (e) {
      const cut = row.startsWith('{"v":') && fragmentNumber(row) !== undefined;
      return this.damage(lineNo, row, cut ? 'cut-off' : 'not-json', String(e));
    }
    const r = asLine(value);
    if ('reason' in r) return this.damage(lineNo, row, r.reason, r.why);
    // Whole but without its newline: the write did not finish, so nobody was told it was saved.
    if (!complete) return this.damage(lineNo, row, 'cut-off', 'the last line has no newline: its write did not finish');
    const line = r.line;
    if (this.prevWhole !== undefined && line.n !== this.prevWhole + 1) this.jumps.push({ line: lineNo, from: this.prevWhole, n: line.n });
    if (line.n <= this.maxN) this.late.add(line.n);
    this.prevWhole = line.n;
    this.lastN = line.n;
    this.maxN = Math.max(this.maxN, line.n);
    if (line.type === ('repair' as string)) {
      const repair = line['repair'] as RepairPayload;
      this.repairs.push({ n: line.n, at: line.at, repair });
      for (const n of repair.numbers) this.maxN = Math.max(this.maxN, n);
      return undefined;
    }
    return line;
  }

  private damage(lineNo: number, row: string, reason: DamageReason, why: string): undefined {
    const own = fragmentNumber(row);
    const n = own !== undefined && own > this.lastN ? own : this.lastN + 1;
    this.damaged.push({ line: lineNo, reason, why, n, text: row });
    this.lastN = n;
    this.maxN = Math.max(this.maxN, n);
    return undefined;
  }

  /** Where the scan stands: what a later scan of the lines after these continues from. */
  state(): ScanState {
    return { rows: this.rows, lastN: this.prevWhole ?? 0, maxN: this.maxN, repairs: [...this.repairs] };
  }

  /** What the rows read so far hold besides the migrations' lines. */
  finish(): Omit<ParsedJournal, 'lines'> {
    const accounted = new Set<number>([...this.damaged.map((d) => d.n), ...this.late, ...this.repairs.flatMap((r) => r.repair.numbers)]);
    const problems: JournalProblem[] = [];
    const missingAll: number[] = [];
    for (const j of this.jumps) {
      const missing = Array.from({ length: Math.max(0, j.n - j.from - 1) }, (_, i) => j.from + 1 + i).filter((n) => !accounted.has(n));
      missingAll.push(...missing);
      if (j.n <= j.from || missing.length > 0) {
        problems.push({
          line: j.line,
          kind: 'gap',
          error: ferryError('inventory.corrupt', `The migration history jumps from record ${j.from} to ${j.n} at line ${j.line}: records are missing or out of order.`),
        });
      }
    }
    return { repairs: [...this.repairs], damaged: [...this.damaged], problems, missing: missingAll, nextN: this.maxN + 1 };
  }
}

/**
 * Parses the journal's text. Pure. A last piece without a newline is cut off (even if it happens to parse: the write
 * did not finish, so its fdatasync never returned and nobody was told it was saved); so is a line that starts like
 * a record and breaks off (a torn write that later lines followed).
 */
export function parseJournal(text: string): ParsedJournal {
  const scanner = new JournalScanner();
  const lines: JournalLine[] = [];
  const rows = text.split('\n');
  const tail = rows.pop() ?? '';
  for (const row of rows) {
    const line = scanner.row(row, true);
    if (line) lines.push(line);
  }
  const last = scanner.row(tail, false);
  if (last) lines.push(last);
  return { lines, ...scanner.finish() };
}

/** The one message for damaged lines: which, why, and where they are now (or that they could not be moved). */
export function damageProblem(damaged: readonly DamagedLine[], movedTo: string | undefined, failure?: string): JournalProblem {
  const which = damaged.map((d) => `line ${d.line} ${REASON_WORDS[d.reason]}`).join(', ');
  const one = damaged.length === 1;
  const count = one ? 'A damaged line' : `${damaged.length} damaged lines`;
  const message =
    movedTo !== undefined
      ? `${count} of the migration history ${one ? 'was' : 'were'} moved to ${movedTo} (${which}); the other records are intact.`
      : `${count} of the migration history could not be moved aside (${which}; ${failure ?? 'unknown error'}); ${one ? 'it is' : 'they are'} skipped.`;
  const detail = damaged.map((d) => `line ${d.line}, record ${d.n}: ${d.why}: ${d.text.slice(0, 200)}`).join('\n');
  return { line: damaged[0]?.line ?? 0, kind: 'damaged', error: ferryError('inventory.corrupt', message, detail) };
}
