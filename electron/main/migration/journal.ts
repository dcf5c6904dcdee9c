/**
 * The migration history: an append-only JSON-lines file (`migrations.jsonl` in the data directory), one record per
 * line, each appended with one write and made durable with fdatasync before the append resolves. Lines are never
 * rewritten; a migration's story is the sequence of its lines (start, samples, events, end, reconciliation).
 *
 *   {"v":1,"n":17,"type":"sample","id":"m-...","at":1764065000123,"sample":{...}}
 *
 * `n` numbers every line of the file (1, 2, 3...); it lets a reader see a gap and the crash test see that every
 * acknowledged append survived.
 *
 * Reading:
 * - a torn LAST line (a crash in the middle of a write: no newline at the end, or unparsable text after the last
 *   newline) is skipped and reported; on open for writing it is moved aside (`migrations.jsonl.torn-<time>`) and
 *   cut off, so that the next record starts on a line of its own;
 * - a corrupt line in the MIDDLE (a disk error, a hand edit) is reported as a problem with its line number and the
 *   rest of the file is still read.
 *
 * Side effects (the file system) come in as `JournalFs`, so tests can fail or slow any step.
 */
import { constants as fsc } from 'node:fs';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ferryError, type FerryError } from '../../../shared/errors';

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

export interface JournalProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly kind: 'torn-tail' | 'corrupt' | 'gap';
  readonly error: FerryError;
}

export interface ParsedJournal {
  readonly lines: readonly JournalLine[];
  readonly problems: readonly JournalProblem[];
  /** Byte length of the file up to and including the last complete line (where a torn tail starts). */
  readonly cleanLength: number;
}

const TYPES: ReadonlySet<string> = new Set<JournalLineType>(['start', 'sample', 'event', 'end', 'reconcile']);

function asLine(value: unknown): JournalLine | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const o = value as Record<string, unknown>;
  if (o['v'] !== JOURNAL_VERSION) return `unknown version ${JSON.stringify(o['v'])}`;
  if (typeof o['n'] !== 'number' || !Number.isInteger(o['n'])) return 'no line number';
  if (typeof o['type'] !== 'string' || !TYPES.has(o['type'])) return `unknown type ${JSON.stringify(o['type'])}`;
  if (typeof o['id'] !== 'string' || o['id'] === '') return 'no migration id';
  if (typeof o['at'] !== 'number') return 'no time';
  return o as JournalLine;
}

/**
 * Parses the journal's text. Pure. A last piece without a newline is a torn tail (even if it happens to parse: the
 * write did not finish, so its fdatasync never returned and nobody was told it was saved).
 */
export function parseJournal(text: string): ParsedJournal {
  const lines: JournalLine[] = [];
  const problems: JournalProblem[] = [];
  const lastNewline = text.lastIndexOf('\n');
  const complete = lastNewline < 0 ? '' : text.slice(0, lastNewline);
  const tail = lastNewline < 0 ? text : text.slice(lastNewline + 1);
  const rows = complete === '' ? [] : complete.split('\n');
  let expectedN: number | undefined;
  rows.forEach((row, i) => {
    const lineNo = i + 1;
    if (row.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (e) {
      problems.push({
        line: lineNo,
        kind: 'corrupt',
        error: ferryError('inventory.corrupt', `Line ${lineNo} of the migration history is not valid JSON; it was skipped.`, `${String(e)}: ${row.slice(0, 200)}`),
      });
      return;
    }
    const line = asLine(value);
    if (typeof line === 'string') {
      problems.push({
        line: lineNo,
        kind: 'corrupt',
        error: ferryError('inventory.corrupt', `Line ${lineNo} of the migration history is not a record (${line}); it was skipped.`, row.slice(0, 200)),
      });
      return;
    }
    if (expectedN !== undefined && line.n !== expectedN) {
      problems.push({
        line: lineNo,
        kind: 'gap',
        error: ferryError('inventory.corrupt', `The migration history jumps from record ${expectedN - 1} to ${line.n} at line ${lineNo}.`),
      });
    }
    expectedN = line.n + 1;
    lines.push(line);
  });
  if (tail !== '') {
    problems.push({
      line: rows.length + 1,
      kind: 'torn-tail',
      error: ferryError(
        'inventory.corrupt',
        'The last record of the migration history was cut off (Ferry stopped while writing it); it was skipped.',
        tail.slice(0, 200),
      ),
    });
  }
  return { lines, problems, cleanLength: Buffer.byteLength(complete, 'utf8') + (lastNewline < 0 ? 0 : 1) };
}

export interface JournalFs {
  readFile(path: string): Promise<string | undefined>;
  /** Opens for appending (O_APPEND | O_CREAT), mode 0600. */
  openAppend(path: string): Promise<AppendHandle>;
  /** Keeps a torn tail aside before it is cut off. */
  writeAside(path: string, data: string): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
}

export interface AppendHandle {
  /** One write of the whole buffer (loops over partial writes), then fdatasync. */
  appendDurable(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

export const nodeJournalFs: JournalFs = {
  async readFile(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  },
  async openAppend(path) {
    const fh: FileHandle = await open(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o600);
    return {
      async appendDurable(data) {
        let off = 0;
        while (off < data.length) {
          const { bytesWritten } = await fh.write(data, off, data.length - off);
          off += bytesWritten;
        }
        await fh.datasync();
      },
      close: () => fh.close(),
    };
  },
  writeAside: (path, data) => writeFile(path, data, { mode: 0o600, flag: 'wx' }),
  async truncate(path, length) {
    const fh = await open(path, 'r+');
    try {
      await fh.truncate(length);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  },
};

export interface JournalOpenOptions {
  readonly dataDir: string;
  readonly fs?: JournalFs;
  /** For the name of a set-aside torn tail. */
  readonly wallClock?: () => number;
}

/**
 * The open journal. Appends are serialised (one at a time, in call order) and each resolves only after its
 * fdatasync returned: what `append` acknowledged is on disk.
 */
export class Journal {
  private nextN: number;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly syncTimes: number[] = [];

  private constructor(
    readonly path: string,
    private readonly handle: AppendHandle,
    /** The lines that were in the file at open. */
    readonly initial: ParsedJournal,
  ) {
    const last = initial.lines[initial.lines.length - 1];
    this.nextN = last === undefined ? 1 : last.n + 1;
  }

  static async open(o: JournalOpenOptions): Promise<Journal> {
    const fs = o.fs ?? nodeJournalFs;
    const path = join(o.dataDir, JOURNAL_FILE);
    const text = (await fs.readFile(path)) ?? '';
    const parsed = parseJournal(text);
    const textBytes = Buffer.byteLength(text, 'utf8');
    if (parsed.cleanLength < textBytes) {
      const tail = Buffer.from(text, 'utf8').subarray(parsed.cleanLength).toString('utf8');
      await fs.writeAside(`${path}.torn-${(o.wallClock ?? Date.now)()}`, tail).catch(() => undefined);
      await fs.truncate(path, parsed.cleanLength);
    }
    const handle = await fs.openAppend(path);
    return new Journal(path, handle, parsed);
  }

  /** Appends one line; resolves once it is on disk (fdatasync returned) with the line as written. */
  append(entry: JournalEntry): Promise<JournalLine> {
    if (this.closed) return Promise.reject(new Error('the migration journal is closed'));
    const run = async (): Promise<JournalLine> => {
      const line = { v: JOURNAL_VERSION, n: this.nextN, ...entry } as JournalLine;
      const data = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
      const t0 = performance.now();
      await this.handle.appendDurable(data);
      this.recordSync(performance.now() - t0);
      this.nextN += 1;
      return line;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
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
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.handle.close();
  }
}
