/**
 * Append-only JSON-lines files (the migration journal, the tuning history): the file system seam and the one
 * appender both write through. An append is one write of the whole line followed by fdatasync, and appends run one at
 * a time in call order, so what `append` acknowledged is on disk.
 *
 * A failed append is rolled back: a write can fail after part of the line reached the file (disk full, I/O error),
 * and the next line appended after that fragment would be glued to it and lost with it. The appender cuts the file
 * back to where the failed line began; if even that fails, the next line starts on a new line, so only the fragment
 * is damaged (the readers set it aside).
 */
import { constants as fsc } from 'node:fs';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { nodeAtomicFileOps, tempPathFor, writeFileAtomic } from '../atomic-file';

export interface JsonlFs {
  readFile(path: string): Promise<string | undefined>;
  /** Opens for appending (O_APPEND | O_CREAT), mode 0600. */
  openAppend(path: string): Promise<AppendHandle>;
  /** Writes a new file (never over an existing one), durably: where damaged lines are kept. */
  writeAside(path: string, data: string): Promise<void>;
  /** Replaces the file's content atomically and durably (a temporary file, fdatasync, rename). */
  replace(path: string, data: string): Promise<void>;
  /** Cuts the file to `length` bytes, durably (a torn tail found at open). */
  truncate(path: string, length: number): Promise<void>;
  /** Opens for positional reads; undefined when the file does not exist. */
  openRead(path: string): Promise<ReadHandle | undefined>;
  /**
   * Replaces the file atomically and durably with what `produce` writes, piece by piece (a file too large to be
   * built in memory): a temporary file, fsync, rename. Nothing changes when `produce` or a write throws.
   */
  replaceStreaming(path: string, produce: (write: (chunk: Buffer) => Promise<void>) => Promise<void>): Promise<void>;
}

export interface ReadHandle {
  /** Up to `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Promise<Buffer>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface AppendHandle {
  /** One write of the whole buffer (loops over partial writes), then fdatasync. */
  appendDurable(data: Buffer): Promise<void>;
  /** The file's size now, bytes. */
  size(): Promise<number>;
  /** Cuts the file back to `length` bytes, durably (undoing a failed append). */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

async function writeNewDurable(path: string, data: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

export const nodeJsonlFs: JsonlFs = {
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
      size: async () => (await fh.stat()).size,
      async truncate(length) {
        await fh.truncate(length);
        await fh.datasync();
      },
      close: () => fh.close(),
    };
  },
  writeAside: writeNewDurable,
  replace: (path, data) => writeFileAtomic(path, data),
  async openRead(path) {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return {
      async read(position, length) {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, position + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      },
      size: async () => (await fh.stat()).size,
      close: () => fh.close(),
    };
  },
  async replaceStreaming(path, produce) {
    const tmp = tempPathFor(path);
    try {
      const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      try {
        await produce(async (chunk) => {
          let off = 0;
          while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        });
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await nodeAtomicFileOps.syncDir(dirname(path));
  },
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

/** Serialised, durable, rolled-back appends of one line each to an open file. */
export class JsonlAppender {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `needsNewline`: the file does not end with a newline (damage left in place), so the first line starts one. */
  constructor(
    private readonly handle: AppendHandle,
    private readonly what: string,
    private needsNewline = false,
  ) {}

  /**
   * Appends `make()`'s line once every earlier append has settled (so `make` sees their effects, e.g. a sequence
   * number), and calls `written` with it, the write's duration and where its bytes went (`offset` in the file; `bytes`
   * may start with the newline that closes a damaged fragment) before the next one starts. Resolves when the
   * line is on disk; rejects, with the file as it was, when it could not be written.
   */
  append<T extends object>(make: () => T, written?: (line: T, ms: number, where: { readonly offset: number; readonly bytes: Buffer }) => void): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`the ${this.what} is closed`));
    const run = async (): Promise<T> => {
      const line = make();
      const data = Buffer.from(`${this.needsNewline ? '\n' : ''}${JSON.stringify(line)}\n`, 'utf8');
      const before = await this.handle.size();
      const t0 = performance.now();
      try {
        await this.handle.appendDurable(data);
      } catch (e) {
        await this.handle.truncate(before).catch(() => {
          // The fragment stays: never glue the next line onto it.
          this.needsNewline = true;
        });
        throw e;
      }
      this.needsNewline = false;
      written?.(line, performance.now() - t0, { offset: before, bytes: data });
      return line;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Waits for the appends in flight, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.handle.close();
  }
}

/** A line a reader set aside: `torn-tail` (the last, cut off by a crash mid-write) or `corrupt` (not JSON, not a line). */
export interface JsonlProblem {
  readonly line: number;
  readonly kind: 'torn-tail' | 'corrupt';
  readonly text: string;
}

/**
 * Pure: the complete lines of a JSON-lines text that `accept` takes, and the rest set aside. A last piece without a
 * newline is torn even if it parses: its fdatasync never returned. `cleanLength`: bytes up to the last newline.
 */
export function parseJsonl<T>(text: string, accept: (value: unknown) => T | undefined): { lines: T[]; problems: JsonlProblem[]; cleanLength: number } {
  const lines: T[] = [];
  const problems: JsonlProblem[] = [];
  const lastNewline = text.lastIndexOf('\n');
  const complete = lastNewline < 0 ? '' : text.slice(0, lastNewline);
  const tail = lastNewline < 0 ? text : text.slice(lastNewline + 1);
  const rows = complete === '' ? [] : complete.split('\n');
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    let value: T | undefined;
    try {
      value = accept(JSON.parse(row));
    } catch {
      value = undefined;
    }
    if (value === undefined) problems.push({ line: i + 1, kind: 'corrupt', text: row.slice(0, 200) });
    else lines.push(value);
  });
  if (tail !== '') problems.push({ line: rows.length + 1, kind: 'torn-tail', text: tail.slice(0, 200) });
  return { lines, problems, cleanLength: Buffer.byteLength(complete, 'utf8') + (lastNewline < 0 ? 0 : 1) };
}

/**
 * Opens a JSON-lines file for appending after reading it: a torn tail is kept aside (`<path>.torn-<time>`) and cut
 * off first, so the next line starts clean.
 */
export async function openJsonl<T>(
  fs: JsonlFs,
  path: string,
  accept: (value: unknown) => T | undefined,
  now: number,
): Promise<{ lines: T[]; problems: JsonlProblem[]; handle: AppendHandle }> {
  const text = (await fs.readFile(path)) ?? '';
  const parsed = parseJsonl(text, accept);
  if (parsed.cleanLength < Buffer.byteLength(text, 'utf8')) {
    const tail = Buffer.from(text, 'utf8').subarray(parsed.cleanLength).toString('utf8');
    await fs.writeAside(`${path}.torn-${now}`, tail).catch(() => undefined);
    await fs.truncate(path, parsed.cleanLength);
  }
  return { lines: parsed.lines, problems: parsed.problems, handle: await fs.openAppend(path) };
}
