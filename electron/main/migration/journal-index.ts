/**
 * The history's index, `migrations.jsonl.index` beside the journal: what start-up and the history list need without
 * reading the journal's samples. For each record its head (start, events, end, and a digest of its samples: record.ts)
 * and the byte spans of the journal that hold its lines; for the file, how far the index covers it (size, and the
 * last covered line's hash, so that a journal replaced or cut behind the index's back is noticed) and the numbering
 * state the parser continues from.
 *
 * The index is a cache: written atomically when a record ends and at close, read at open, and thrown away (the journal
 * scanned again, streaming) whenever it is missing, unreadable, or does not match the journal. Lines appended after
 * it was written (a crash before the next write) are read from the journal's tail at open.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ReadHandle } from '../storage/jsonl';
import { repairPayloadSchema } from './journal-schema';
import { RecordStore, type RecordHead } from './record';
import type { JournalLine, RepairLine } from './journal';

export const INDEX_VERSION = 1;

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

export interface IndexFile {
  readonly v: typeof INDEX_VERSION;
  /** The journal's bytes this index covers (ends with a newline, or 0). */
  readonly size: number;
  /** The last covered line: where it starts and the sha1 of its bytes (with its newline). */
  readonly tail: { readonly offset: number; readonly sha1: string };
  readonly scan: ScanState;
  readonly records: readonly { readonly head: RecordHead; readonly spans: readonly Span[] }[];
}

/**
 * The file: one header line (this schema), then the records as one JSON array. The header carries the sha1 of the
 * records' text, so reading them back needs no schema per head (2,000 heads would cost more than the rest of start-up):
 * what matches the hash is what this module wrote from lines that passed their schemas.
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
  records: z.object({ count: z.number().int().nonnegative(), sha1: z.string() }),
});

/** The index file's text. */
export function indexText(index: IndexFile): string {
  const records = JSON.stringify(index.records);
  const { records: list, ...rest } = index;
  return `${JSON.stringify({ ...rest, records: { count: list.length, sha1: sha1(Buffer.from(records, 'utf8')) } })}\n${records}`;
}

export const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

/**
 * The index, when its text is one and it matches the journal: the journal is at least as long, and the bytes where the
 * index says its last covered line is are that line (a replaced or rewritten journal does not match).
 */
export async function readIndex(text: string | undefined, journal: ReadHandle, journalSize: number): Promise<IndexFile | undefined> {
  if (text === undefined) return undefined;
  const nl = text.indexOf('\n');
  if (nl < 0) return undefined;
  let header: z.infer<typeof headerSchema>;
  let records: unknown;
  try {
    const parsed = headerSchema.safeParse(JSON.parse(text.slice(0, nl)));
    if (!parsed.success) return undefined;
    header = parsed.data;
    const body = text.slice(nl + 1);
    if (sha1(Buffer.from(body, 'utf8')) !== header.records.sha1) return undefined;
    records = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(records) || records.length !== header.records.count) return undefined;
  // Checked by its hash: the heads this module wrote, from lines that passed their schemas.
  const index: IndexFile = { ...header, records: records as IndexFile['records'] };
  if (index.size > journalSize || index.tail.offset > index.size) return undefined;
  if (index.size === 0) return index.records.length === 0 ? index : undefined;
  if (index.size - index.tail.offset > 64 << 20) return undefined;
  const tail = await journal.read(index.tail.offset, index.size - index.tail.offset);
  if (tail.length !== index.size - index.tail.offset || tail[tail.length - 1] !== 0x0a || sha1(tail) !== index.tail.sha1) return undefined;
  // The byte before the last line ends the line before it: the index's offsets are line boundaries of this file.
  if (index.tail.offset > 0 && (await journal.read(index.tail.offset - 1, 1))[0] !== 0x0a) return undefined;
  return index;
}

/** The records' heads and spans, kept up to date as lines are read or appended. */
export class HistoryIndex {
  private readonly heads = new RecordStore(false);
  private readonly spans = new Map<string, [number, number][]>();

  static from(index: IndexFile | undefined): HistoryIndex {
    const h = new HistoryIndex();
    for (const r of index?.records ?? []) {
      h.heads.restore(r.head);
      h.spans.set(r.head.id, r.spans.map(([a, b]) => [a, b]));
    }
    return h;
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

  all(): RecordHead[] {
    return this.heads.all();
  }

  head(id: string): RecordHead | undefined {
    return this.heads.get(id);
  }

  spansOf(id: string): readonly Span[] {
    return this.spans.get(id) ?? [];
  }

  toFile(size: number, tail: IndexFile['tail'], scan: ScanState): IndexFile {
    return { v: INDEX_VERSION, size, tail, scan, records: this.heads.all().map((head) => ({ head, spans: this.spansOf(head.id) })) };
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
