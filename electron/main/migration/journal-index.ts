/**
 * The history's index, `migrations.jsonl.index` beside the journal: what start-up and the history list need without
 * reading the journal's samples. For each record its head (start, events, end, and a digest of its samples: record.ts)
 * and the byte spans of the journal that hold its lines; for the file, how far the index covers it (size, and the
 * last covered line's hash, so that a journal replaced or cut behind the index's back is noticed) and the numbering
 * state the parser continues from.
 *
 * Start-up reads only the header and a short first section: the records still open and the newest ended ones (what
 * the console shows at start). The whole list, the second section, is read when it is first needed (the Reports
 * browser, opening an older record, the next index write), so start-up costs the same with ten runs or ten thousand.
 *
 * The index is a cache: written atomically when a record ends and at close, and thrown away (the journal scanned
 * again, streaming) whenever it is missing, unreadable, or does not match the journal. Lines appended after it was
 * written (a crash before the next write) are read from the journal's tail at open.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { WATCH_SNAPSHOT_ENDED } from '../../../shared/migration/record-schema';
import type { JsonlFs, ReadHandle } from '../storage/jsonl';
import { repairPayloadSchema } from './journal-schema';
import { RecordStore, type RecordHead } from './record';
import type { JournalLine, RepairLine } from './journal';

export const INDEX_VERSION = 2;

/**
 * Lines of a record closer than this to its previous line extend the same span: a record's lines interleave with
 * those of migrations running beside it, and one read over both is cheaper than one read per line. A record taken up
 * again later (a reconciliation after a restart) starts a new span.
 */
const SPAN_GAP_BYTES = 1 << 20;

/** [from, to): byte offsets in the journal, at line boundaries. */
export type Span = readonly [number, number];

/** Where the parser stands after the covered part of the file (journal.ts's JournalScanner). */
export interface ScanState {
  /** Lines (rows) read so far: the next row's number is one more. */
  readonly rows: number;
  /** The number of the last whole line. */
  readonly lastN: number;
  /** The highest number held or accounted for. */
  readonly maxN: number;
  readonly repairs: readonly RepairLine[];
}

export const EMPTY_SCAN: ScanState = { rows: 0, lastN: 0, maxN: 0, repairs: [] };

export interface IndexedRecord {
  readonly head: RecordHead;
  readonly spans: readonly Span[];
}

/** How far an index covers the journal, and where the parser stands there. */
export interface IndexCoverage {
  /** The journal's bytes this index covers (ends with a newline, or 0). */
  readonly size: number;
  /** The last covered line: where it starts and the sha1 of its bytes (with its newline). */
  readonly tail: { readonly offset: number; readonly sha1: string };
  readonly scan: ScanState;
}

export interface IndexFile extends IndexCoverage {
  readonly v: typeof INDEX_VERSION;
  readonly records: readonly IndexedRecord[];
}

/** An index read at open: its coverage and first section; the whole list is read from the file when asked. */
export interface OpenedIndex extends IndexCoverage {
  /** The records start-up needs (recentOf): every one still open and the newest ended ones. */
  readonly start: readonly IndexedRecord[];
  /** Every record, read from the file again; undefined when it no longer holds what its header says. */
  rest(): Promise<readonly IndexedRecord[] | undefined>;
}

const sectionSchema = z.object({ count: z.number().int().nonnegative(), bytes: z.number().int().nonnegative(), sha1: z.string() });

/**
 * The file: one header line (this schema), the first section (a JSON array) on the second line, the whole list (a
 * JSON array) after it. The header carries each section's length and sha1, so reading them back needs no schema per
 * head (2,000 heads would cost more than the rest of start-up): what matches the hash is what this module wrote from
 * lines that passed their schemas.
 */
const headerSchema = z.object({
  v: z.literal(INDEX_VERSION),
  size: z.number().int().nonnegative(),
  tail: z.object({ offset: z.number().int().nonnegative(), sha1: z.string() }),
  scan: z.object({
    rows: z.number().int().nonnegative(),
    lastN: z.number().int().nonnegative(),
    maxN: z.number().int().nonnegative(),
    repairs: z.array(z.object({ n: z.number().int().positive(), at: z.number(), repair: repairPayloadSchema })),
  }),
  start: sectionSchema,
  records: sectionSchema,
});

/**
 * The records start-up needs, in the order given: every record still open (no end, or a reconciled 'unknown': the
 * engine follows or reconciles it) and the newest WATCH_SNAPSHOT_ENDED of the others by start time (the console's
 * recent history). The first section of the index, and what the open journal holds before the whole list is read.
 */
export function recentOf<T>(items: readonly T[], head: (item: T) => RecordHead): T[] {
  const ended = items.filter((x) => !isOpen(head(x)));
  const newest = new Set(
    [...ended]
      .sort((a, b) => (head(b).startedAt ?? 0) - (head(a).startedAt ?? 0))
      .slice(0, WATCH_SNAPSHOT_ENDED)
      .map((x) => head(x).id),
  );
  return items.filter((x) => isOpen(head(x)) || newest.has(head(x).id));
}

/** The index file's text. */
export function indexText(index: IndexFile): string {
  const { records: list, ...rest } = index;
  const first = recentOf(list, (r) => r.head);
  const start = JSON.stringify(first);
  const records = JSON.stringify(list);
  const section = (text: string, count: number) => {
    const bytes = Buffer.from(text, 'utf8');
    return { count, bytes: bytes.length, sha1: sha1(bytes) };
  };
  return `${JSON.stringify({ ...rest, start: section(start, first.length), records: section(records, list.length) })}\n${start}\n${records}`;
}

export const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

/** A header longer than this (years of repairs) is not an index this module wrote. */
const MAX_HEADER_BYTES = 16 << 20;

/** One section of the index file, when its bytes are those its header describes. */
async function readSection(file: ReadHandle, at: number, section: z.infer<typeof sectionSchema>): Promise<IndexedRecord[] | undefined> {
  const bytes = await file.read(at, section.bytes);
  if (bytes.length !== section.bytes || sha1(bytes) !== section.sha1) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  // Checked by its hash: the heads this module wrote, from lines that passed their schemas.
  return Array.isArray(list) && list.length === section.count ? (list as IndexedRecord[]) : undefined;
}

/** The header line and where it ends, read in growing pieces (it is short unless repairs piled up). */
async function readHeader(file: ReadHandle): Promise<{ header: z.infer<typeof headerSchema>; end: number } | undefined> {
  for (let want = 4 << 10; ; want *= 4) {
    const head = await file.read(0, want);
    const nl = head.indexOf(0x0a);
    if (nl < 0) {
      if (head.length < want || want >= MAX_HEADER_BYTES) return undefined;
      continue;
    }
    try {
      const parsed = headerSchema.safeParse(JSON.parse(head.toString('utf8', 0, nl)));
      return parsed.success ? { header: parsed.data, end: nl + 1 } : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * The index at `path`, when it is one and matches the journal: the journal is at least as long, and the bytes where
 * the index says its last covered line is are that line (a replaced or rewritten journal does not match). Reads the
 * header and the first section only; `rest` opens the file again for the whole list.
 */
export async function openIndex(fs: Pick<JsonlFs, 'openRead'>, path: string, journal: ReadHandle, journalSize: number): Promise<OpenedIndex | undefined> {
  const file = await fs.openRead(path).catch(() => undefined);
  if (!file) return undefined;
  let header: z.infer<typeof headerSchema>;
  let start: IndexedRecord[] | undefined;
  let restAt: number;
  try {
    const read = await readHeader(file);
    if (!read) return undefined;
    header = read.header;
    start = await readSection(file, read.end, header.start);
    restAt = read.end + header.start.bytes + 1;
    if (!start || !(await file.read(restAt - 1, 1)).equals(Buffer.from('\n'))) return undefined;
  } catch {
    return undefined;
  } finally {
    await file.close().catch(() => undefined);
  }
  const { size, tail, scan, records } = header;
  if (size > journalSize || tail.offset > size) return undefined;
  if (size === 0 && (records.count !== 0 || start.length !== 0)) return undefined;
  if (size > 0) {
    if (size - tail.offset > 64 << 20) return undefined;
    const last = await journal.read(tail.offset, size - tail.offset);
    if (last.length !== size - tail.offset || last[last.length - 1] !== 0x0a || sha1(last) !== tail.sha1) return undefined;
    // The byte before the last line ends the line before it: the index's offsets are line boundaries of this file.
    if (tail.offset > 0 && (await journal.read(tail.offset - 1, 1))[0] !== 0x0a) return undefined;
  }
  return {
    size,
    tail,
    scan,
    start,
    // Read again by path: nothing is held open for a list that may never be asked for. The file is this process's to
    // replace (the data directory's lock), and it is replaced only once the whole list was read; a file that changed
    // anyway fails the header's hash and the caller scans the journal instead.
    rest: async () => {
      const again = await fs.openRead(path).catch(() => undefined);
      if (!again) return undefined;
      try {
        const read = await readHeader(again);
        if (!read || read.end + header.start.bytes + 1 !== restAt || read.header.records.sha1 !== records.sha1) return undefined;
        return await readSection(again, restAt, records);
      } catch {
        return undefined;
      } finally {
        await again.close().catch(() => undefined);
      }
    },
  };
}

/**
 * The records' heads and spans, kept up to date as lines are read or appended. Opened from an index it holds the
 * first section only until `whole()` reads the rest; every line read or appended at open or later belongs to a record
 * it holds (a new one, or one still open), so the part it holds is always current.
 */
export class HistoryIndex {
  private readonly heads = new RecordStore(false);
  private readonly spans = new Map<string, [number, number][]>();
  private rest: (() => Promise<readonly IndexedRecord[]>) | undefined;
  private completing: Promise<void> | undefined;

  /** From an index's records; `rest`, when given, yields every record (those given included). */
  static from(records: readonly IndexedRecord[] = [], rest?: () => Promise<readonly IndexedRecord[]>): HistoryIndex {
    const h = new HistoryIndex();
    for (const r of records) h.put(r);
    h.rest = rest;
    return h;
  }

  private put(r: IndexedRecord): void {
    this.heads.restore(r.head);
    this.spans.set(r.head.id, r.spans.map(([a, b]) => [a, b]));
  }

  /** True once every record of the history is held. */
  get whole(): boolean {
    return this.rest === undefined;
  }

  /** Reads the records the first section left out, once; the records held keep what was read or appended since. */
  complete(): Promise<void> {
    const rest = this.rest;
    if (!rest) return Promise.resolve();
    this.completing ??= rest().then(
      (records) => {
        this.heads.merge(records.map((r) => r.head));
        for (const r of records) if (!this.spans.has(r.head.id)) this.spans.set(r.head.id, r.spans.map(([a, b]) => [a, b]));
        this.rest = undefined;
      },
      (e: unknown) => {
        // Tried again at the next call: a read that failed once (a busy disk) may not fail twice.
        this.completing = undefined;
        throw e;
      },
    );
    return this.completing;
  }

  /** A migration's line, whole and valid, at bytes [from, to) of the journal. */
  add(line: JournalLine, from: number, to: number): void {
    this.heads.apply(line);
    const spans = this.spans.get(line.id) ?? [];
    const last = spans[spans.length - 1];
    if (last && from - last[1] <= SPAN_GAP_BYTES) last[1] = to;
    else spans.push([from, to]);
    this.spans.set(line.id, spans);
  }

  /** The records held, oldest first: every one once `complete()` resolved. */
  all(): RecordHead[] {
    return this.heads.all();
  }

  /** The records start-up needs (recentOf), whole or not. */
  recent(): RecordHead[] {
    return recentOf(this.heads.all(), (h) => h);
  }

  head(id: string): RecordHead | undefined {
    return this.heads.get(id);
  }

  spansOf(id: string): readonly Span[] {
    return this.spans.get(id) ?? [];
  }

  /** The records held with their spans, oldest first. */
  records(): IndexedRecord[] {
    return this.heads.all().map((head) => ({ head, spans: this.spansOf(head.id) }));
  }

  /** The index file's content; only a whole index can be written (the first section alone would lose the rest). */
  toFile(coverage: IndexCoverage): IndexFile {
    if (!this.whole) throw new Error('the history index is written only once it holds every record');
    return { v: INDEX_VERSION, ...coverage, records: this.records() };
  }
}

/** A record still open at start (no end, or a reconciled 'unknown' a later reconciliation may replace): re-attached. */
export const isOpen = (h: Pick<RecordHead, 'end'>): boolean => h.end === undefined || (h.end.reconciled && h.end.state === 'unknown');

const CHUNK = 1 << 20;

/**
 * Calls `row` for each line of bytes [from, to) of the file, in order, with its byte range (the newline included) and
 * whether it ended with a newline (only the last piece can lack one). Reads in chunks: the file is never held whole.
 */
export async function forEachRow(
  file: ReadHandle,
  from: number,
  to: number,
  row: (text: string, start: number, end: number, complete: boolean) => void,
  /** Called after the rows of each chunk (and after the last piece): a writer's moment to flush. */
  afterChunk?: () => Promise<void>,
): Promise<void> {
  let carry: Buffer = Buffer.alloc(0);
  let carryAt = from;
  for (let pos = from; pos < to; ) {
    const chunk = await file.read(pos, Math.min(CHUNK, to - pos));
    if (chunk.length === 0) break;
    pos += chunk.length;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      row(buf.toString('utf8', start, nl), carryAt + start, carryAt + nl + 1, true);
      start = nl + 1;
    }
    carry = Buffer.from(buf.subarray(start));
    carryAt += start;
    await afterChunk?.();
  }
  if (carry.length > 0) row(carry.toString('utf8'), carryAt, carryAt + carry.length, false);
  await afterChunk?.();
}
