/**
 * Writing a file so that a crash at any instant leaves either the old content or the new one, never a torn mix:
 * the new content goes to a temporary file in the same directory (same filesystem, so rename is atomic), which is
 * fsynced, renamed over the target, and the directory fsynced so the rename itself survives a power cut.
 *
 * The steps are injectable (`AtomicFileOps`) so tests can make any of them fail, or kill the process between the
 * write and the rename, and check that the old file is still whole.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicFileOps {
  /** Creates `tmp` (must not exist), writes `data`, fsyncs it and closes it. */
  writeTemp(tmp: string, data: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsync of a directory, so that a rename in it is durable. */
  syncDir(dir: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeAtomicFileOps: AtomicFileOps = {
  async writeTemp(tmp, data, mode) {
    const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => rename(from, to),
  async syncDir(dir) {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  unlink: (path) => unlink(path),
};

/** `.inventory.json.<random>.tmp`: hidden, recognisable, unique per write. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

const isTempOf = (target: string, name: string): boolean => name.startsWith(`.${basename(target)}.`) && name.endsWith('.tmp');

export async function writeFileAtomic(target: string, data: string, ops: AtomicFileOps = nodeAtomicFileOps, mode = 0o600): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await ops.writeTemp(tmp, data, mode);
    await ops.rename(tmp, target);
  } catch (e) {
    await ops.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await ops.syncDir(dirname(target));
}

/** Temporary files a crashed write left behind (never the target itself); returns how many were removed. */
export async function removeStaleTemps(target: string, ops: AtomicFileOps = nodeAtomicFileOps): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dirname(target));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names.filter((x) => isTempOf(target, x))) {
    await ops.unlink(join(dirname(target), n)).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
