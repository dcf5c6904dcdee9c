/**
 * The inventory file: atomic writes (a crash between writing and renaming leaves the old file whole), serialised
 * concurrent changes, and a torn or foreign file set aside instead of lost.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeAtomicFileOps, type AtomicFileOps } from '../../electron/main/atomic-file';
import { InventoryStore, INVENTORY_FILE, parseInventoryText, type InventoryData } from '../../electron/main/inventory/store';
import type { HostRecord } from '../../shared/inventory/types';
import { ok } from '../../shared/result';

const host = (name: string, i = 1): HostRecord => ({
  id: `id-${name}`,
  name,
  address: `10.0.0.${i}`,
  port: 22,
  user: 'root',
  auth: { kind: 'agent' },
  addedAt: '2025-01-01T00:00:00.000Z',
  source: 'manual',
});

const addHost = (h: HostRecord) => (cur: InventoryData) => ok({ next: { ...cur, hosts: [...cur.hosts, h] }, value: h.id });

describe('inventory store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = () => join(dir, INVENTORY_FILE);
  const onDisk = () => JSON.parse(readFileSync(file(), 'utf8')) as { version: number; hosts: HostRecord[] };

  it('starts empty without a file and writes a versioned document on the first change', async () => {
    const s = await InventoryStore.open({ dataDir: dir });
    expect(s.value.hosts).toEqual([]);
    expect(s.problems).toEqual([]);
    expect(existsSync(file())).toBe(false);
    expect(await s.update(addHost(host('hvA')))).toEqual({ ok: true, value: 'id-hvA' });
    expect(onDisk()).toMatchObject({ version: 1, hosts: [{ name: 'hvA' }], settings: { trustUserKnownHosts: false, refreshIntervalSec: 10 } });
    const again = await InventoryStore.open({ dataDir: dir });
    expect(again.value.hosts.map((h) => h.name)).toEqual(['hvA']);
  });

  it('keeps the old file whole and readable when the rename step fails, and changes nothing in memory', async () => {
    const s = await InventoryStore.open({ dataDir: dir });
    await s.update(addHost(host('hvA')));
    const before = readFileSync(file(), 'utf8');
    const failing: AtomicFileOps = { ...nodeAtomicFileOps, rename: () => Promise.reject(Object.assign(new Error('EIO: simulated crash'), { code: 'EIO' })) };
    const broken = await InventoryStore.open({ dataDir: dir, ops: failing });
    const r = await broken.update(addHost(host('hvB', 2)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'inventory.io', detail: 'EIO: simulated crash' });
    expect(readFileSync(file(), 'utf8')).toBe(before);
    expect(broken.value.hosts.map((h) => h.name)).toEqual(['hvA']);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the old file readable when the process is killed between writing the new one and renaming it', async () => {
    const s = await InventoryStore.open({ dataDir: dir });
    await s.update(addHost(host('hvA')));
    const before = readFileSync(file(), 'utf8');
    // A real process, really killed (SIGKILL) after the temporary file is written and fsynced, before the rename.
    const script = `
      import { InventoryStore } from ${JSON.stringify(join(__dirname, '../../electron/main/inventory/store.ts'))};
      import { nodeAtomicFileOps } from ${JSON.stringify(join(__dirname, '../../electron/main/atomic-file.ts'))};
      const ops = { ...nodeAtomicFileOps, rename: () => { process.kill(process.pid, 'SIGKILL'); return new Promise(() => {}); } };
      const s = await InventoryStore.open({ dataDir: ${JSON.stringify(dir)}, ops });
      await s.update((cur) => ({ ok: true, value: { value: 1, next: { ...cur, hosts: [...cur.hosts, { ...cur.hosts[0], id: 'x', name: 'hvB', address: '10.0.0.2' }] } } }));
    `;
    const scriptFile = join(dir, 'crash.mts');
    writeFileSync(scriptFile, script);
    const child = spawnSync(process.execPath, ['--import', 'tsx', scriptFile], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');
    expect(readFileSync(file(), 'utf8')).toBe(before);
    rmSync(scriptFile);
    const leftovers = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
    expect(leftovers).toHaveLength(1);
    expect(readFileSync(join(dir, leftovers[0]!), 'utf8')).toContain('hvB'); // the new content was written, not renamed
    const after = await InventoryStore.open({ dataDir: dir });
    expect(after.value.hosts.map((h) => h.name)).toEqual(['hvA']);
    expect(after.problems).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]); // the stale temporary file is cleaned up
  });

  it('serialises concurrent changes: each sees the previous one, none is lost, in call order', async () => {
    const s = await InventoryStore.open({ dataDir: dir });
    const names = Array.from({ length: 20 }, (_, i) => `h${i}`);
    const results = await Promise.all(names.map((n, i) => s.update(addHost(host(n, i + 1)))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.value.hosts.map((h) => h.name)).toEqual(names);
    expect(onDisk().hosts.map((h) => h.name)).toEqual(names);
  });

  it('lets a change refuse itself without writing, and the next change still runs', async () => {
    const s = await InventoryStore.open({ dataDir: dir });
    const refused = s.update(() => ({ ok: false, error: { code: 'inventory.duplicate', message: 'no' } }));
    const next = s.update(addHost(host('hvA')));
    expect(await refused).toMatchObject({ ok: false, error: { code: 'inventory.duplicate' } });
    expect(await next).toMatchObject({ ok: true });
    expect(onDisk().hosts).toHaveLength(1);
  });

  it('sets a torn file aside as inventory.json.corrupt-<time>, starts empty and says so', async () => {
    writeFileSync(file(), '{"version":1,"hosts":[{"id":"a","na');
    const s = await InventoryStore.open({ dataDir: dir, now: () => Date.UTC(2025, 10, 25, 9, 46, 31, 123) });
    expect(s.value.hosts).toEqual([]);
    const aside = join(dir, 'inventory.json.corrupt-2025-11-25T09-46-31-123Z');
    expect(readFileSync(aside, 'utf8')).toBe('{"version":1,"hosts":[{"id":"a","na');
    expect(existsSync(file())).toBe(false);
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatchObject({ code: 'inventory.corrupt' });
    expect(s.problems[0]!.message).toContain('not valid JSON');
    expect(s.problems[0]!.message).toContain(aside);
    // Ferry works on: the next change writes a fresh file next to the kept one.
    expect((await s.update(addHost(host('hvA')))).ok).toBe(true);
    expect(onDisk().hosts).toHaveLength(1);
    expect(readFileSync(aside, 'utf8')).toContain('"na');
  });

  it('sets aside a file that fails the schema, naming the field', async () => {
    writeFileSync(file(), JSON.stringify({ version: 1, hosts: [{ ...host('hvA'), port: 'twenty-two' }], settings: { trustUserKnownHosts: false, refreshIntervalSec: 10 } }));
    const s = await InventoryStore.open({ dataDir: dir });
    expect(s.problems[0]?.message).toMatch(/hosts\.0\.port/);
    expect(readdirSync(dir).some((n) => n.startsWith('inventory.json.corrupt-'))).toBe(true);
  });

  it('says a file from a newer Ferry is from a newer Ferry, and keeps it', async () => {
    const r = parseInventoryText(JSON.stringify({ version: 2, hosts: [] }));
    expect(r).toMatchObject({ ok: false, newer: true });
    writeFileSync(file(), JSON.stringify({ version: 2, hosts: [], whatever: true }));
    const s = await InventoryStore.open({ dataDir: dir });
    expect(s.problems[0]?.message).toContain('newer Ferry');
    expect(readdirSync(dir).filter((n) => n.startsWith('inventory.json.corrupt-'))).toHaveLength(1);
  });

  it('refuses to save over a file it could not read (permissions), rather than lose it', async () => {
    if (process.getuid?.() === 0) {
      // root reads anything: make the "file" a directory instead, which no one can read as text.
      mkdirSync(file());
    } else {
      writeFileSync(file(), '{}');
      chmodSync(file(), 0o000);
    }
    const s = await InventoryStore.open({ dataDir: dir });
    expect(s.problems[0]).toMatchObject({ code: 'inventory.io' });
    const r = await s.update(addHost(host('hvA')));
    expect(r).toMatchObject({ ok: false, error: { code: 'inventory.io' } });
  });
});
