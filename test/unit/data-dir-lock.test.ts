// One Ferry per data directory: the second is refused with the owner's pid; a lock left by a Ferry that is gone is
// taken over; a lock is never read half-written; release removes only one's own lock.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, lockDataDir, type LockDeps } from '../../electron/main/storage/data-dir-lock';
import { createFerryMain, FerryStartError } from '../../electron/main/app';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'ferry-lock-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const alive = new Set<number>();
const deps = (pid: number, hostname = 'hv-admin'): LockDeps => ({ pid, hostname, now: () => Date.UTC(2026, 11, 7, 17, 30), isAlive: (p) => alive.has(p) });

describe('lockDataDir', () => {
  it('refuses a second Ferry while the first runs, naming its pid, and lets it in once the first released', async () => {
    const dir = fresh();
    alive.add(101);
    const first = await lockDataDir(dir, 'web', deps(101));
    expect(first.ok).toBe(true);
    const second = await lockDataDir(dir, 'desktop', deps(202));
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.error.code).toBe('storage.in-use');
    expect(second.error.message).toBe(
      `Another Ferry is using the data directory ${dir} (pid 101 on hv-admin, web, started 2026-12-07 17:30:00 UTC). Close that Ferry first, or start this one with a data directory of its own (--data-dir). If no Ferry runs as pid 101, delete ${join(dir, LOCK_FILE)}.`,
    );
    if (first.ok) await first.value.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const third = await lockDataDir(dir, 'desktop', deps(202));
    expect(third.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 202, mode: 'desktop' });
    alive.clear();
  });

  it('takes over the lock of a Ferry that is gone (killed), leaving nothing else behind', async () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999, hostname: 'hv-admin', mode: 'web', startedAt: 0 }));
    const r = await lockDataDir(dir, 'web', deps(303));
    expect(r.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 303 });
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  it('takes over a lock that is not a lock (torn by hand or by a disk fault)', async () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const r = await lockDataDir(dir, 'web', deps(304));
    expect(r.ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 304 });
  });

  it('refuses a lock held from another host, since whether it runs cannot be told from here', async () => {
    const dir = fresh();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 999, hostname: 'other-desk', mode: 'desktop', startedAt: 0 }));
    const r = await lockDataDir(dir, 'web', deps(305));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/pid 999 on other-desk, desktop.*cannot tell from here whether it still runs/);
  });

  it('release leaves a lock that is no longer its own alone', async () => {
    const dir = fresh();
    const r = await lockDataDir(dir, 'web', deps(306));
    expect(r.ok).toBe(true);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 407, hostname: 'hv-admin', mode: 'web', startedAt: 1 }));
    if (r.ok) await r.value.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 407 });
  });
});

describe('createFerryMain on a data directory another Ferry owns', () => {
  it('refuses to start, names the owner, and changes nothing in the directory; starts once the first is disposed', async () => {
    const dir = fresh();
    const first = await createFerryMain({ dataDir: dir, homeDir: dir, env: {}, localUser: 'ferry', mode: 'web' });
    const before = readdirSync(dir).sort();
    const second = createFerryMain({ dataDir: dir, homeDir: dir, env: {}, localUser: 'ferry' });
    await expect(second).rejects.toBeInstanceOf(FerryStartError);
    await expect(second).rejects.toThrow(`Another Ferry is using the data directory ${dir} (pid ${process.pid} on `);
    expect(readdirSync(dir).sort()).toEqual(before);
    await first.dispose();
    const third = await createFerryMain({ dataDir: dir, homeDir: dir, env: {}, localUser: 'ferry' });
    await third.dispose();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
