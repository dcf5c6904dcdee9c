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
 * The file is never read whole: the records' heads and where their lines are come from the index beside it
 * (journal-index.ts), and the lines after what the index covers are streamed. The open journal holds the heads; a
 * record's lines are read by span when it is opened (`readRecord`), those of records still open at start once (the
 * engine follows them again).
 *
 * Side effects (the file system) come in as `JournalFs`, so tests can fail or slow any step.
 */
import { basename, join } from 'node:path';
import { removeStaleTemps } from '../atomic-file';
import { JsonlAppender, nodeJsonlFs, type AppendHandle, type JsonlFs, type ReadHandle } from '../storage/jsonl';
import { type RepairPayload } from './journal-schema';
import {
  asLine,
  damageProblem,
  JOURNAL_FILE,
  JOURNAL_VERSION,
  JournalScanner,
  REPAIR_ID,
  type JournalEntry,
  type JournalLine,
  type ParsedJournal,
} from './journal-lines';
import { forEachRow, HistoryIndex, indexText, isOpen, openIndex, sha1, type IndexCoverage, type IndexedRecord, type OpenedIndex, type ScanState } from './journal-index';
import { buildRecords, type MigrationRecord, type RecordHead } from './record';

export {
  damageProblem,
  JOURNAL_FILE,
  JOURNAL_VERSION,
  JournalScanner,
  parseJournal,
  type DamageReason,
  type DamagedLine,
  type JournalEntry,
  type JournalLine,
  type JournalLineType,
  type JournalProblem,
  type ParsedJournal,
  type RepairLine,
} from './journal-lines';

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

/** What the journal found at open. Its `lines` are those of the records still open (no end, or a reconciled 'unknown'). */
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

/** What one pass over the journal's uncovered part (or all of it) found. */
interface Scan {
  readonly index: HistoryIndex;
  readonly scanner: JournalScanner;
  /** The last whole row read: where it starts and ends. */
  readonly tail: { offset: number; end: number } | undefined;
  readonly endsWithNewline: boolean;
}

/**
 * Reads the journal from where the index `saved` ends (or from the start) to `size`. `file` is asked for the journal's
 * read handle whenever it is needed: a repair at open replaces it.
 */
async function scanFrom(file: () => ReadHandle, size: number, saved: OpenedIndex | undefined): Promise<Scan> {
  const index = saved ? HistoryIndex.from(saved.start, wholeList(saved, file)) : HistoryIndex.from();
  // Lines after the index (a crash before its next write): the whole list first, so that whatever record a line
  // belongs to is held. Otherwise every later line belongs to a record the first section holds or a new one.
  if (saved && saved.size < size) await index.complete();
  const scanner = new JournalScanner(saved?.scan);
  let tail: { offset: number; end: number } | undefined = saved && saved.size > 0 ? { offset: saved.tail.offset, end: saved.size } : undefined;
  let endsWithNewline = true;
  await forEachRow(file(), saved?.size ?? 0, size, (text, start, end, complete) => {
    const line = scanner.row(text, complete);
    if (line) index.add(line, start, end);
    if (complete) tail = { offset: start, end };
    endsWithNewline = complete;
  });
  return { index, scanner, tail, endsWithNewline };
}

/** The whole list of an index opened at start: from its file, or when that changed, the part it covered scanned again. */
function wholeList(saved: OpenedIndex, file: () => ReadHandle): () => Promise<readonly IndexedRecord[]> {
  return async () => (await saved.rest()) ?? (await scanFrom(file, saved.size, undefined)).index.records();
}

/**
 * The open journal. Appends are serialised (one at a time, in call order) and each resolves only after its
 * fdatasync returned: what `append` acknowledged is on disk. The records' heads are kept in memory (the history
 * list); a record's samples are read from the journal when it is opened (`readRecord`).
 */
export class Journal {
  private nextN: number;
  private readonly syncTimes: number[] = [];
  private readonly appender: JsonlAppender;
  /** How far the index covers the file: its size then and its last line. */
  private covered: { size: number; tail: IndexCoverage['tail'] };
  private scanState: ScanState;
  /** Index writes, one at a time; `saving` is set while one is wanted or running. */
  private saveChain: Promise<void> = Promise.resolve();
  private saving = false;
  /** The covered size the index on disk has (nothing to write when it is the same). */
  private savedSize: number | undefined;
  /** False while damage that could not be moved aside is in the file: no index then, the next open reads it all again. */
  private indexable: boolean;

  private constructor(
    readonly path: string,
    private readonly fs: JournalFs,
    handle: AppendHandle,
    private readonly reader: ReadHandle,
    /** The lines of the records still open (without an end: the engine follows them again), and what to tell the admin, once. */
    readonly initial: OpenedJournal,
    private readonly index: HistoryIndex,
    scan: { covered: { size: number; tail: IndexCoverage['tail'] }; state: ScanState; needsNewline: boolean; indexable: boolean },
  ) {
    this.nextN = initial.nextN;
    this.covered = scan.covered;
    this.scanState = scan.state;
    this.indexable = scan.indexable;
    this.appender = new JsonlAppender(handle, 'migration journal', scan.needsNewline);
  }

  static async open(o: JournalOpenOptions): Promise<Journal> {
    const fs = o.fs ?? nodeJournalFs;
    const path = join(o.dataDir, JOURNAL_FILE);
    const indexPath = `${path}${INDEX_SUFFIX}`;
    const now = (o.wallClock ?? Date.now)();
    // Temporary files of an index write or a repair a crash interrupted: never read, only in the way.
    await Promise.all([removeStaleTemps(indexPath), removeStaleTemps(path)]).catch(() => undefined);
    // Created first (empty) so that one read handle serves the whole session.
    let handle = await fs.openAppend(path);
    const first = await fs.openRead(path);
    if (!first) throw new Error(`the migration journal ${path} could not be opened for reading`);
    let reader: ReadHandle = first;
    let size = await reader.size();
    const saved = await openIndex(fs, indexPath, reader, size);
    let scan = await scanFrom(() => reader, size, saved);
    const found = scan.scanner.finish();
    let opened: OpenedJournal;
    let needsNewline = !scan.endsWithNewline;
    let indexable = true;
    if (found.damaged.length === 0) {
      opened = { lines: [], ...found };
    } else {
      try {
        const aside = await writeAsideUnique(fs, `${path}.damaged-${now}`, found.damaged.map((d) => `${d.text}\n`).join(''));
        const repair: RepairPayload = { movedTo: basename(aside), lines: found.damaged.map((d) => d.line), numbers: [...found.damaged.map((d) => d.n), ...found.missing] };
        const repairLine = { v: JOURNAL_VERSION, n: found.nextN, type: 'repair', id: REPAIR_ID, at: now, repair };
        await rewriteWithout(fs, reader, path, saved?.size ?? 0, size, new Set(found.damaged.map((d) => d.line)), saved?.scan.rows ?? 0, `${JSON.stringify(repairLine)}\n`);
        // The file was replaced: both handles are opened again on the new one.
        await Promise.all([reader.close(), handle.close()]);
        handle = await fs.openAppend(path);
        const fresh = await fs.openRead(path);
        if (!fresh) throw new Error(`the migration journal ${path} vanished while it was repaired`);
        reader = fresh;
        // The lines after the damage moved: the part the index did not cover is read again, now whole.
        size = await reader.size();
        scan = await scanFrom(() => reader, size, saved);
        const again = scan.scanner.finish();
        needsNewline = false;
        opened = { lines: [], ...found, repairs: again.repairs, problems: [damageProblem(found.damaged, aside), ...found.problems], nextN: again.nextN, movedTo: aside };
      } catch (e) {
        const problem = damageProblem(found.damaged, undefined, String(e));
        opened = { lines: [], ...found, problems: [problem, ...found.problems] };
        indexable = false;
      }
    }
    const covered = { size, tail: scan.tail ? { offset: scan.tail.offset, sha1: sha1(await reader.read(scan.tail.offset, scan.tail.end - scan.tail.offset)) } : { offset: 0, sha1: '' } };
    // A last piece without its newline (damage that could not be moved) is not covered: the next open judges it again.
    if (needsNewline && scan.tail) covered.size = scan.tail.end;
    const openLines = await readOpenLines(reader, scan.index);
    const journal = new Journal(path, fs, handle, reader, { ...opened, lines: openLines }, scan.index, {
      covered,
      state: scan.scanner.state(),
      needsNewline,
      indexable,
    });
    // Records missing (lost before this version, or cut out by hand): said now, noted so that it is said once.
    if (opened.missing.length > 0 && opened.movedTo === undefined) await journal.appendRepair({ lines: [], numbers: [...opened.missing] }, now).catch(() => undefined);
    journal.savedSize = saved?.size;
    // Awaited: a Ferry that has started has nothing half-written in its directory.
    journal.saveIndex();
    await journal.saveChain;
    return journal;
  }

  /** Every record in the history, oldest first, without samples (their digest instead): the history list. */
  async heads(): Promise<RecordHead[]> {
    await this.index.complete();
    return this.index.all();
  }

  /**
   * Without reading the whole list: every record still open and the newest ended ones (journal-index.ts recentOf),
   * oldest first. What the console shows at start.
   */
  recent(): RecordHead[] {
    return this.index.recent();
  }

  /** One record with its samples, read from the journal's spans that hold its lines; undefined when there is none. */
  async readRecord(id: string): Promise<MigrationRecord | undefined> {
    if (!this.index.head(id)) await this.index.complete();
    if (!this.index.head(id)) return undefined;
    return buildRecords(await readLinesOf(this.reader, this.index, id))[0];
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
      (line, ms, where) => {
        this.nextN = line.n + 1;
        this.recordSync(ms);
        this.noteAppended(line, where);
      },
    );
  }

  /** Keeps the heads, spans and covered size in step with a line just written at `where`. */
  private noteAppended(line: JournalLine, where: { offset: number; bytes: Buffer }): void {
    const end = where.offset + where.bytes.length;
    // The written bytes may start with the newline that closed a damaged fragment: the line starts after it.
    const lead = where.bytes[0] === 0x0a ? 1 : 0;
    if (line.type === ('repair' as string)) {
      this.scanState = { ...this.scanState, repairs: [...this.scanState.repairs, { n: line.n, at: line.at, repair: line['repair'] as RepairPayload }] };
    } else {
      this.index.add(line, where.offset + lead, end);
    }
    // Bytes between the covered part and this line: a fragment a failed append left. The index must not vouch for
    // them: it is no longer written this session, and the next open reads the file from the index it has.
    if (where.offset !== this.covered.size) this.indexable = false;
    if (!this.indexable) return;
    const maxN = Math.max(this.scanState.maxN, line.n, ...(line.type === ('repair' as string) ? (line['repair'] as RepairPayload).numbers : []));
    this.scanState = { ...this.scanState, rows: this.scanState.rows + 1, lastN: line.n, maxN };
    this.covered = { size: end, tail: { offset: where.offset + lead, sha1: sha1(where.bytes.subarray(lead)) } };
    // A record that ends is the moment worth saving: the next start reads no more than the runs still going.
    if (line.type === 'end' || line.type === 'reconcile') this.saveIndex();
  }

  /** Writes the index (atomically) as it stands now, after the writes already queued; failures only cost a rescan. */
  private saveIndex(): void {
    if (!this.indexable || this.saving) return;
    this.saving = true;
    this.saveChain = this.saveChain.then(async () => {
      this.saving = false;
      if (!this.indexable || this.covered.size === this.savedSize) return;
      // Only a whole index is written: the session's first write reads the rest of the list first.
      const whole = await this.index.complete().then(
        () => true,
        () => false,
      );
      if (!whole || !this.indexable) return;
      const file = this.index.toFile({ size: this.covered.size, tail: this.covered.tail, scan: this.scanState });
      this.savedSize = file.size;
      await this.fs.replace(`${this.path}${INDEX_SUFFIX}`, indexText(file)).catch(() => undefined);
    });
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

  /** Waits for the appends in flight, writes the index, then closes the file. */
  async close(): Promise<void> {
    await this.appender.close();
    this.saveIndex();
    await this.saveChain;
    await this.reader.close();
  }
}

export const INDEX_SUFFIX = '.index';

/** The history read by another reader beside the open journal: records' heads, and one record read whole. */
export interface HistoryReader {
  heads(): Promise<RecordHead[]>;
  readRecord(id: string): Promise<MigrationRecord | undefined>;
  close(): Promise<void>;
}

/**
 * Opens the history read-only: the heads from the index when it matches the journal (and the lines after it), else
 * from a streaming scan. Writes nothing (damage is the open journal's to move aside); undefined when there is no
 * journal.
 */
export async function openHistoryReader(dataDir: string, fs: JournalFs = nodeJournalFs): Promise<HistoryReader | undefined> {
  const path = join(dataDir, JOURNAL_FILE);
  const reader = await fs.openRead(path);
  if (!reader) return undefined;
  try {
    const size = await reader.size();
    const saved = await openIndex(fs, `${path}${INDEX_SUFFIX}`, reader, size);
    const { index } = await scanFrom(() => reader, size, saved);
    return {
      heads: async () => {
        await index.complete();
        return index.all();
      },
      readRecord: async (id) => {
        if (!index.head(id)) await index.complete();
        return index.head(id) ? buildRecords(await readLinesOf(reader, index, id))[0] : undefined;
      },
      close: () => reader.close(),
    };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** The lines of one record, in file order, from the spans that hold them. */
async function readLinesOf(reader: ReadHandle, index: HistoryIndex, id: string): Promise<JournalLine[]> {
  const lines: JournalLine[] = [];
  const mark = `"id":${JSON.stringify(id)}`;
  for (const [from, to] of index.spansOf(id)) {
    await forEachRow(reader, from, to, (text) => {
      // Most rows of a span are other migrations' samples: skipped before they are parsed.
      if (!text.includes(mark)) return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return;
      }
      const r = asLine(value);
      if ('line' in r && r.line.id === id) lines.push(r.line);
    });
  }
  return lines;
}

/** The lines of the records still open, in file order: what the engine follows again or reconciles. */
async function readOpenLines(reader: ReadHandle, index: HistoryIndex): Promise<JournalLine[]> {
  const lines: JournalLine[] = [];
  for (const h of index.all().filter(isOpen)) lines.push(...(await readLinesOf(reader, index, h.id)));
  return lines.sort((a, b) => a.n - b.n);
}

/**
 * Replaces the journal by its rows without the damaged ones (by row number), and the repair line after them. The part
 * before `from` (covered by the index, known whole) is copied as it is; the file is streamed, never held whole.
 */
async function rewriteWithout(fs: JournalFs, reader: ReadHandle, path: string, from: number, size: number, damaged: ReadonlySet<number>, rowsBefore: number, repairLine: string): Promise<void> {
  await fs.replaceStreaming(path, async (write) => {
    for (let pos = 0; pos < from; ) {
      const chunk = await reader.read(pos, Math.min(1 << 20, from - pos));
      if (chunk.length === 0) break;
      await write(chunk);
      pos += chunk.length;
    }
    let row = rowsBefore;
    const kept: string[] = [];
    await forEachRow(
      reader,
      from,
      size,
      (text) => {
        row++;
        if (text.trim() !== '' && !damaged.has(row)) kept.push(`${text}\n`);
      },
      // Written after each chunk read: no more than a chunk's rows are held.
      async () => {
        if (kept.length > 0) await write(Buffer.from(kept.splice(0).join(''), 'utf8'));
      },
    );
    await write(Buffer.from(repairLine, 'utf8'));
  });
}
