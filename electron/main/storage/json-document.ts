/**
 * One small JSON document in the data directory (the inventory, the saved migration profiles, the imported reports),
 * read once at start and rewritten whole and atomically (../atomic-file.ts) after every change. The rules every such
 * document keeps, whatever it holds:
 *
 * - Changes run one after another in call order, each on the state the previous one saved; a change may refuse
 *   (nothing is written), and a failed write changes nothing in memory either.
 * - A file that is torn, not JSON, fails its schema or comes from a newer Ferry is never overwritten and never
 *   fatal: it is renamed to `<file>.corrupt-<time>` and the document starts empty; `problems` says where it went.
 * - A file whose envelope is fine but some entries are not (`partial`) keeps the good entries, and a copy of the whole
 *   file is kept aside before the first save rewrites it without the others.
 * - A file Ferry cannot read at all (permissions), or cannot set aside, blocks saving: overwriting what could not be
 *   read would lose it.
 *
 * What differs is the schema (`parse`, `serialize`) and the words (`messages`: each document says what it is and
 * what the admin is left with).
 */
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { nodeAtomicFileOps, removeStaleTemps, writeFileAtomic, type AtomicFileOps } from '../atomic-file';

/** What a document's text gives. Pure parsers return this; `why` completes "could not be used because ...". */
export type ParsedDocument<T> =
  | { readonly kind: 'whole'; readonly value: T }
  | { readonly kind: 'partial'; readonly value: T; readonly dropped: readonly string[] }
  | { readonly kind: 'unusable'; readonly why: string };

export interface DocumentMessages {
  cannotCreateDir(dir: string): string;
  unreadable(path: string): string;
  cannotSetAside(path: string, why: string): string;
  setAside(why: string, aside: string): string;
  partial(dropped: readonly string[], aside: string): string;
  cannotCopyPartial(path: string, dropped: readonly string[]): string;
  saveFailed(path: string): string;
}

export interface DocumentSpec<T> {
  /** File name in the data directory. */
  readonly file: string;
  readonly empty: T;
  parse(text: string): ParsedDocument<T>;
  serialize(value: T): string;
  readonly messages: DocumentMessages;
}

export interface DocumentOptions {
  readonly dataDir: string;
  /** Wall-clock time for the name of a file kept aside (ms since the epoch). */
  readonly now?: () => number;
  readonly ops?: AtomicFileOps;
}

/** `2025-11-25T09-46-31-123Z`: an ISO time that is also a portable file name. */
export function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const excerpt = (text: string): string => (text.length > 400 ? `${text.slice(0, 400)}...` : text);

export class JsonDocument<T> {
  readonly path: string;
  private data: T;
  private blocked: FerryError | undefined;
  private readonly loadProblems: FerryError[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private readonly ops: AtomicFileOps;
  private readonly now: () => number;

  private constructor(
    private readonly spec: DocumentSpec<T>,
    private readonly dir: string,
    o: DocumentOptions,
  ) {
    this.path = join(dir, spec.file);
    this.data = spec.empty;
    this.ops = o.ops ?? nodeAtomicFileOps;
    this.now = o.now ?? Date.now;
  }

  /** Reads and validates the file, or keeps a bad one aside. Never fails: see `problems`. */
  static async open<T>(spec: DocumentSpec<T>, o: DocumentOptions): Promise<JsonDocument<T>> {
    const d = new JsonDocument(spec, o.dataDir, o);
    await d.load();
    return d;
  }

  get value(): T {
    return this.data;
  }

  /** What went wrong while loading (a file kept aside, entries dropped, an unreadable file), for the UI and the log. */
  get problems(): readonly FerryError[] {
    return this.loadProblems;
  }

  private block(message: string, e: unknown): void {
    this.blocked = ferryError('inventory.io', message, errorText(e));
    this.loadProblems.push(this.blocked);
  }

  private async load(): Promise<void> {
    const m = this.spec.messages;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      return this.block(m.cannotCreateDir(this.dir), e);
    }
    await removeStaleTemps(this.path, this.ops);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return;
      return this.block(m.unreadable(this.path), e);
    }
    const parsed = this.spec.parse(text);
    const aside = `${this.path}.corrupt-${fileTimestamp(this.now())}`;
    if (parsed.kind === 'unusable') {
      try {
        await rename(this.path, aside);
      } catch (e) {
        return this.block(m.cannotSetAside(this.path, parsed.why), e);
      }
      this.loadProblems.push(ferryError('inventory.corrupt', m.setAside(parsed.why, aside), excerpt(text)));
      return;
    }
    this.data = parsed.value;
    if (parsed.kind === 'whole') return;
    try {
      await copyFile(this.path, aside);
    } catch (e) {
      return this.block(m.cannotCopyPartial(this.path, parsed.dropped), e);
    }
    this.loadProblems.push(ferryError('inventory.corrupt', m.partial(parsed.dropped, aside), excerpt(text)));
  }

  /**
   * Applies a change and saves it. Changes run one after another in call order; `change` sees the state the
   * previous one saved and may refuse (its error is returned, nothing is written).
   */
  update<R>(change: (current: T) => Result<{ next: T; value: R }, FerryError>): Promise<Result<R, FerryError>> {
    const run = async (): Promise<Result<R, FerryError>> => {
      if (this.blocked) return err(this.blocked);
      const r = change(this.data);
      if (!r.ok) return r;
      try {
        await writeFileAtomic(this.path, this.spec.serialize(r.value.next), this.ops);
      } catch (e) {
        return err(ferryError('inventory.io', this.spec.messages.saveFailed(this.path), errorText(e)));
      }
      this.data = r.value.next;
      return ok(r.value.value);
    };
    const next = this.chain.then(run, run);
    this.chain = next;
    return next;
  }
}
