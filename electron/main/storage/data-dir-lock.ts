/**
 * One Ferry per data directory. Two processes on the same directory (two `npm run web` on the default one, or the
 * desktop app beside web mode) each read inventory.json, change it and write it back: the second write loses the
 * first one's host. So the directory is owned: `ferry.lock` names the owner (pid, host name, mode, start time), and a
 * second Ferry is refused at start with that name.
 *
 * The lock file is never torn: it is written whole to a private temporary file and hard-linked into place, which
 * fails atomically when a lock exists. A lock whose pid no longer runs on this host (Ferry was killed) is stale and
 * taken over: it is first renamed aside, and only if what was renamed is the stale lock that was judged (not a lock a
 * third Ferry took meanwhile) is the new one linked in.
 */
import { hostname as osHostname } from 'node:os';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { err, ok, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';

export const LOCK_FILE = 'ferry.lock';

const holderSchema = z.object({ pid: z.number().int().positive(), hostname: z.string(), mode: z.string(), startedAt: z.number() });
export type LockHolder = z.infer<typeof holderSchema>;

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock if it is still this process's. */
  release(): Promise<void>;
}

export interface LockDeps {
  readonly pid: number;
  readonly hostname: string;
  readonly now: () => number;
  /** Whether a process with this pid runs on this host (signal 0: EPERM means it runs as someone else). */
  readonly isAlive: (pid: number) => boolean;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const defaultDeps = (): LockDeps => ({ pid: process.pid, hostname: osHostname(), now: Date.now, isAlive: processIsAlive });

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

async function readHolder(file: string): Promise<LockHolder | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return code(e) === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const h = holderSchema.safeParse(JSON.parse(text));
    return h.success ? h.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function ownerText(h: LockHolder): string {
  return `pid ${h.pid} on ${h.hostname}, ${h.mode}, started ${new Date(h.startedAt).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

function inUse(dir: string, file: string, h: LockHolder, sameHost: boolean): FerryError {
  const how = sameHost
    ? `Close that Ferry first, or start this one with a data directory of its own (--data-dir). If no Ferry runs as pid ${h.pid}, delete ${file}.`
    : `Ferry cannot tell from here whether it still runs (the directory is shared between hosts). If it does not, delete ${file}.`;
  return ferryError('storage.in-use', `Another Ferry is using the data directory ${dir} (${ownerText(h)}). ${how}`, JSON.stringify(h));
}

/**
 * Takes the data directory for this process (`mode`: "desktop" or "web", shown to the one refused). Refuses with
 * `storage.in-use` naming the owner while another live Ferry holds it.
 */
export async function lockDataDir(dir: string, mode: string, deps: LockDeps = defaultDeps()): Promise<Result<DataDirLock, FerryError>> {
  const file = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: deps.pid, hostname: deps.hostname, mode, startedAt: deps.now() };
  const tmp = join(dir, `.${LOCK_FILE}.${deps.pid}.tmp`);
  const io = (what: string, e: unknown) => ferryError('storage.io', `Cannot ${what} ${file}: ${e instanceof Error ? e.message : String(e)}.`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  } catch (e) {
    return err(io('create the lock beside', e));
  }
  try {
    // Two rounds: the second follows the removal of a stale lock.
    for (let round = 0; round < 3; round++) {
      try {
        await link(tmp, file);
        return ok({ file, release: () => release(file, deps.pid) });
      } catch (e) {
        if (code(e) !== 'EEXIST') return err(io('take the lock', e));
      }
      const holder = await readHolder(file);
      if (holder === 'missing') continue; // released meanwhile
      if (holder !== 'unreadable') {
        if (holder.hostname !== deps.hostname) return err(inUse(dir, file, holder, false));
        // Our own pid counts as alive: a second Ferry in this process is a second owner too.
        if (holder.pid === deps.pid || deps.isAlive(holder.pid)) return err(inUse(dir, file, holder, true));
      }
      // Stale (its Ferry is gone) or unreadable (not written by a Ferry that is running: ours are linked in whole).
      const aside = join(dir, `.${LOCK_FILE}.stale-${deps.pid}`);
      try {
        await rename(file, aside);
      } catch (e) {
        if (code(e) === 'ENOENT') continue;
        return err(io('set aside the stale lock', e));
      }
      const moved = await readHolder(aside);
      const same = holder === 'unreadable' ? moved === 'unreadable' : moved !== 'missing' && moved !== 'unreadable' && moved.pid === holder.pid && moved.startedAt === holder.startedAt;
      if (!same) {
        // A Ferry took the directory between the read and the rename: put its lock back and go round again.
        await link(aside, file).catch(() => undefined);
      }
      await unlink(aside).catch(() => undefined);
    }
    return err(ferryError('storage.in-use', `The data directory ${dir} is being taken by another Ferry at this moment; start again.`));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function release(file: string, pid: number): Promise<void> {
  const h = await readHolder(file);
  if (h !== 'missing' && h !== 'unreadable' && h.pid === pid) await unlink(file).catch(() => undefined);
}
