/**
 * The migration history: an append-only JSON-lines file (`migrations.jsonl` in the data directory), one record per
 * line, each appended with one write and made durable with fdatasync before the append resolves. A migration's story
 * is the sequence of its lines (start, samples, events, end, reconciliation).
 *
 *   {"v":1,"n":17,"type":"sample","id":"m-...","at":1764065000123,"sample":{...}}
 *
 * `n` numbers every line of the file (1, 2, 3...); it lets a reader see a gap and the crash test see that every
 * acknowledged append survived.
 *
 * Damage (a line cut off by a crash, at the end or followed by later lines; a line that is not JSON; a line that is
 * not a record or whose payload fails its schema, journal-schema.ts) is dealt with once, when the journal is opened
 * for writing: the damaged lines are written to `migrations.jsonl.damaged-<time>`, the journal is replaced
 * (atomically) by its whole lines plus one `repair` line naming that file and the numbers the damaged lines held.
 * The next open finds nothing to report: the numbers are accounted for, and none is ever given out again. This is the
 * only time a line is rewritten; appends never are.
 *
 * Side effects (the file system) come in as `JournalFs`, so tests can fail or slow any step.
 */
import { basename, join } from 'node:path';
import { JsonlAppender, nodeJsonlFs, type AppendHandle, type JsonlFs } from '../storage/jsonl';
import { ferryError, type FerryError } from '../../../shared/errors';
import { PAYLOAD_SCHEMAS, type RepairPayload } from './journal-schema';

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
const REPAIR_ID = 'journal';

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

function asLine(value: unknown): { line: JournalLine } | { reason: DamageReason; why: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { reason: 'not-a-record', why: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  const bad = (why: string) => ({ reason: 'not-a-record' as const, why });
  if (o['v'] !== JOURNAL_VERSION) return bad(`unknown version ${JSON.stringify(o['v'])}`);
  if (typeof o['n'] !== 'number' || !Number.isInteger(o['n']) || o['n'] < 1) return bad('no line number');
  const type = o['type'];
  if (typeof type !== 'string' || !TYPES.has(type)) return bad(`unknown type ${JSON.stringify(type)}`);
  if (typeof o['id'] !== 'string' || o['id'] === '') return bad('no migration id');
  if (typeof o['at'] !== 'number') return bad('no time');
  const payload = PAYLOAD_SCHEMAS[type as keyof typeof PAYLOAD_SCHEMAS].safeParse(o[type]);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    return { reason: 'bad-payload', why: `its ${type} ${issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'payload is invalid'}` };
  }
  return { line: o as JournalLine };
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
 * Parses the journal's text. Pure. A last piece without a newline is cut off (even if it happens to parse: the write
 * did not finish, so its fdatasync never returned and nobody was told it was saved); so is a line that starts like
 * a record and breaks off (a torn write that later lines followed).
 */
export function parseJournal(text: string): ParsedJournal {
  const lines: JournalLine[] = [];
  const repairs: RepairLine[] = [];
  const damaged: DamagedLine[] = [];
  const rows = text.split('\n');
  const tail = rows.pop() ?? '';
  // Numbers in file order: the whole lines' (checked for gaps) and the damaged lines' (accounting for gaps).
  const seen: { n: number; line: number; whole: boolean }[] = [];
  let lastN = 0;
  let maxN = 0;
  const damage = (lineNo: number, row: string, reason: DamageReason, why: string) => {
    const own = fragmentNumber(row);
    const n = own !== undefined && own > lastN ? own : lastN + 1;
    damaged.push({ line: lineNo, reason, why, n, text: row });
    seen.push({ n, line: lineNo, whole: false });
    lastN = n;
    maxN = Math.max(maxN, n);
  };
  const read = (row: string, lineNo: number, complete: boolean) => {
    if (row.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (e) {
      const cut = row.startsWith('{"v":') && fragmentNumber(row) !== undefined;
      return damage(lineNo, row, cut ? 'cut-off' : 'not-json', String(e));
    }
    const r = asLine(value);
    if ('reason' in r) return damage(lineNo, row, r.reason, r.why);
    // Whole but without its newline: the write did not finish, so nobody was told it was saved.
    if (!complete) return damage(lineNo, row, 'cut-off', 'the last line has no newline: its write did not finish');
    const line = r.line;
    seen.push({ n: line.n, line: lineNo, whole: true });
    lastN = line.n;
    maxN = Math.max(maxN, line.n);
    if (line.type === ('repair' as string)) repairs.push({ n: line.n, at: line.at, repair: line['repair'] as RepairPayload });
    else lines.push(line);
  };
  rows.forEach((row, i) => read(row, i + 1, true));
  read(tail, rows.length + 1, false);

  const accounted = new Set<number>([...seen.map((s) => s.n), ...repairs.flatMap((r) => r.repair.numbers)]);
  for (const r of repairs) for (const n of r.repair.numbers) maxN = Math.max(maxN, n);
  const problems: JournalProblem[] = [];
  const missingAll: number[] = [];
  let prev: number | undefined;
  for (const s of seen.filter((x) => x.whole)) {
    if (prev !== undefined) {
      const from = prev;
      const missing = Array.from({ length: Math.max(0, s.n - from - 1) }, (_, i) => from + 1 + i).filter((n) => !accounted.has(n));
      missingAll.push(...missing);
      if (s.n <= from || missing.length > 0) {
        problems.push({
          line: s.line,
          kind: 'gap',
          error: ferryError('inventory.corrupt', `The migration history jumps from record ${prev} to ${s.n} at line ${s.line}: records are missing or out of order.`),
        });
      }
    }
    prev = s.n;
  }
  return { lines, repairs, damaged, problems, missing: missingAll, nextN: maxN + 1 };
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

/** The journal's file system seam (storage/jsonl.ts), under the names the journal's users know. */
export type JournalFs = JsonlFs;
export type { AppendHandle };
export const nodeJournalFs: JournalFs = nodeJsonlFs;

export interface JournalOpenOptions {
  readonly dataDir: string;
  readonly fs?: JournalFs;
  /** For the name of the file damaged lines are moved to, and the repair line's time. */
  readonly wallClock?: () => number;
}

/** What the journal found at open, after moving damaged lines aside. */
export interface OpenedJournal extends ParsedJournal {
  /** Where the damaged lines went (absent when there were none, or they could not be moved). */
  readonly movedTo?: string;
}

/** Writes to `base`, or `base-1`, `base-2`... when a file of that name exists already (two repairs in one ms). */
async function writeAsideUnique(fs: JournalFs, base: string, data: string): Promise<string> {
  for (let i = 0; ; i++) {
    const path = i === 0 ? base : `${base}-${i}`;
    try {
      await fs.writeAside(path, data);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 20) throw e;
    }
  }
}

/**
 * The open journal. Appends are serialised (one at a time, in call order) and each resolves only after its
 * fdatasync returned: what `append` acknowledged is on disk.
 */
export class Journal {
  private nextN: number;
  private readonly syncTimes: number[] = [];
  private readonly appender: JsonlAppender;

  private constructor(
    readonly path: string,
    handle: AppendHandle,
    /** The lines that were in the file at open; `problems` is what to tell the admin, once. */
    readonly initial: OpenedJournal,
    /** The file does not end with a newline (damage that could not be moved): the next line starts a new one. */
    needsNewline: boolean,
  ) {
    this.nextN = initial.nextN;
    this.appender = new JsonlAppender(handle, 'migration journal', needsNewline);
  }

  static async open(o: JournalOpenOptions): Promise<Journal> {
    const fs = o.fs ?? nodeJournalFs;
    const path = join(o.dataDir, JOURNAL_FILE);
    const text = (await fs.readFile(path)) ?? '';
    const parsed = parseJournal(text);
    const now = (o.wallClock ?? Date.now)();
    if (parsed.damaged.length === 0) {
      const journal = new Journal(path, await fs.openAppend(path), parsed, text !== '' && !text.endsWith('\n'));
      // Records missing (lost before this version, or cut out by hand): said now, noted so that it is said once.
      if (parsed.missing.length > 0) await journal.appendRepair({ lines: [], numbers: [...parsed.missing] }, now).catch(() => undefined);
      return journal;
    }
    const damagedAt = new Set(parsed.damaged.map((d) => d.line));
    const whole = text
      .split('\n')
      .filter((row, i) => row.trim() !== '' && !damagedAt.has(i + 1))
      .map((row) => `${row}\n`)
      .join('');
    try {
      const aside = await writeAsideUnique(fs, `${path}.damaged-${now}`, parsed.damaged.map((d) => `${d.text}\n`).join(''));
      const repair: RepairPayload = { movedTo: basename(aside), lines: parsed.damaged.map((d) => d.line), numbers: [...parsed.damaged.map((d) => d.n), ...parsed.missing] };
      const repairLine = { v: JOURNAL_VERSION, n: parsed.nextN, type: 'repair', id: REPAIR_ID, at: now, repair };
      await fs.replace(path, `${whole}${JSON.stringify(repairLine)}\n`);
      const opened: OpenedJournal = {
        ...parsed,
        repairs: [...parsed.repairs, { n: repairLine.n, at: now, repair }],
        problems: [damageProblem(parsed.damaged, aside), ...parsed.problems],
        nextN: parsed.nextN + 1,
        movedTo: aside,
      };
      return new Journal(path, await fs.openAppend(path), opened, false);
    } catch (e) {
      const problem = damageProblem(parsed.damaged, undefined, String(e));
      return new Journal(path, await fs.openAppend(path), { ...parsed, problems: [problem, ...parsed.problems] }, !text.endsWith('\n'));
    }
  }

  /** Appends one line; resolves once it is on disk (fdatasync returned) with the line as written. */
  append(entry: JournalEntry): Promise<JournalLine> {
    return this.appendAny(entry);
  }

  private appendRepair(repair: RepairPayload, at: number): Promise<JournalLine> {
    return this.appendAny({ type: 'repair' as JournalLine['type'], id: REPAIR_ID, at, repair });
  }

  private appendAny(entry: JournalEntry): Promise<JournalLine> {
    // The number is taken when the line is written, and used up only once it is on disk (a failed append is undone).
    return this.appender.append(
      () => ({ v: JOURNAL_VERSION, n: this.nextN, ...entry }) as JournalLine,
      (line, ms) => {
        this.nextN = line.n + 1;
        this.recordSync(ms);
      },
    );
  }

  private recordSync(ms: number): void {
    if (this.syncTimes.length >= 1000) this.syncTimes.shift();
    this.syncTimes.push(ms);
  }

  /** Median and max of the last (up to 1000) write+fdatasync times, ms. */
  syncStats(): { readonly count: number; readonly medianMs: number | undefined; readonly maxMs: number | undefined } {
    const s = [...this.syncTimes].sort((a, b) => a - b);
    return { count: s.length, medianMs: s[Math.floor(s.length / 2)], maxMs: s[s.length - 1] };
  }

  /** Waits for the appends in flight, then closes the file. */
  close(): Promise<void> {
    return this.appender.close();
  }
}
