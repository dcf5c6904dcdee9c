// The migration engine on the lab, end to end through the SSH core Ferry uses: a completed migration with its
// samples and final statistics journalled; a busy VM that cannot converge at 5 MiB/s finished by switching to
// post-copy; an abort; a destination whose sshd is stopped; a VM destroyed mid-migration. Every scenario is
// undone (vmReset, sshd started again) and each migration has a watchdog on the source.
import { describe, expect, it } from 'vitest';
import { lab } from '../lab/use-lab';
import { waitUntil, type LabEngine } from './lab-engine';
import { labEngineSuite } from './lab-engine-suite';
import { hx, labCommand } from '../lab/lab';
import type { MigrationHostRef, MigrationRecord } from '../../electron/main/migration/record';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationEngine, type EngineHostAccess, type MigrationUpdate } from '../../electron/main/migration/engine';
import { Journal, JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';
import { verdictOf } from '../../electron/main/migration/handlers';

const MiB = 1024 * 1024;

describe.skipIf(!lab)('migration engine on the lab', () => {
  let t: LabEngine;
  let hosts: EngineHostAccess;
  let hvA: MigrationHostRef;
  let hvB: MigrationHostRef;
  let journal: Journal;
  let engine: MigrationEngine;
  let updates: MigrationUpdate[];
  const { watchdog } = labEngineSuite('ferry-engine-lab-', (opened) => {
    t = opened;
    ({ hosts, hvA, hvB, journal, engine, updates } = t);
  });

  const where = (vm: string) => t.where(vm);

  const fromDisk = (id: string): MigrationRecord | undefined => t.fromDisk(id);

  /** Starts vmd hvA -> hvB capped at 5 MiB/s (it cannot converge) with a 40 s watchdog; resolves once memory moves. */
  const vmdMoving = async (): Promise<string> => {
    await watchdog('hvA', 'vmd', 40);
    const s = await engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { live: true, p2p: true, bandwidthMiBps: 5 } });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    await waitUntil('memory moving', () => (engine.record(id)?.samples ?? []).some((x) => x.info?.memoryTotalBytes !== undefined), 30_000);
    return id;
  };

  it('moves vm1 hvA -> hvB: samples every second, final stats from the destination, the whole record on disk', async () => {
    await watchdog('hvA', 'vm1', 50);
    const t0 = Date.now();
    const s = await engine.start({
      vm: 'vm1',
      source: hvA,
      destination: hvB,
      options: { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 30 },
    });
    if (!s.ok) throw new Error(s.error.message);
    const rec = await engine.settled(s.value.id);
    const wall = Date.now() - t0;
    expect(rec?.state, rec?.end?.message).toBe('completed');
    const final = rec?.end?.final;
    expect(final?.readOn).toBe('destination');
    expect(final?.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(final?.dataSentBytes).toBeGreaterThan(10 * MiB);
    expect(final?.totalTimeMs).toBeGreaterThan(0);
    const moving = rec?.samples.filter((x) => x.info?.memoryTotalBytes !== undefined) ?? [];
    expect(moving.length).toBeGreaterThanOrEqual(1);
    // Expected failures only: "domain is not running"/"no domain" at the switch-over.
    const errors = rec?.samples.flatMap((x) => (x.error ? [x.error.code] : [])) ?? [];
    for (const c of errors) expect(['libvirt.not-running', 'libvirt.no-domain']).toContain(c);
    expect(await where('vm1')).toEqual({ hvA: undefined, hvB: 'running' });
    const disk = fromDisk(s.value.id);
    expect(disk?.state).toBe('completed');
    expect(disk?.samples.length).toBe(rec?.samples.length);
    expect(updates.filter((u) => u.id === s.value.id).at(-1)?.kind).toBe('ended');
    console.log(
      `vm1 hvA->hvB: wall ${wall} ms, job ${final?.totalTimeMs} ms, downtime ${final?.downtimeMs} ms, ${((final?.dataSentBytes ?? 0) / MiB).toFixed(1)} MiB, ${rec?.samples.length} samples, journal fdatasync median ${journal.syncStats().medianMs?.toFixed(3)} ms`,
    );
  });

  it('vmd at 5 MiB/s does not converge (dirty rate ~ throughput); post-copy finishes it', async () => {
    await watchdog('hvA', 'vmd', 55);
    const s = await engine.start({
      vm: 'vmd',
      source: hvA,
      destination: hvB,
      options: { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 5, postcopy: true },
    });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    // The verdict (shared/migration/verdict.ts, as the watch stream computes it) calls it within a few passes.
    await waitUntil(
      "the verdict 'not-converging'",
      () => {
        const rec = engine.record(id);
        return rec !== undefined && verdictOf(rec)?.state === 'not-converging';
      },
      45_000,
    );
    const called = engine.record(id);
    const verdict = called ? verdictOf(called) : undefined;
    console.log(`vmd verdict at pass ${called?.samples.at(-1)?.info?.iteration ?? '?'}: ${verdict?.state}: ${verdict?.reason ?? ''}`);
    expect(verdict?.remedies.some((r) => r.action === 'postcopy' && r.available)).toBe(true);
    const last = engine.record(id)?.samples.filter((x) => x.figures?.throughputBytesPerSecond !== undefined).at(-1);
    expect(last?.figures?.throughputBytesPerSecond).toBeLessThan(6 * MiB);
    expect(last?.info?.expectedDowntimeMs ?? 0).toBeGreaterThan(300);
    const pc = await engine.control(id, { kind: 'postcopy' });
    expect(pc.ok, pc.ok ? '' : pc.error.detail).toBe(true);
    const rec = await engine.settled(id);
    expect(rec?.state, rec?.end?.message).toBe('completed');
    expect(rec?.events.some((e) => e.kind === 'control' && e.control?.kind === 'postcopy')).toBe(true);
    const after = rec?.samples.filter((x) => (x.info?.postcopyRequests ?? 0) > 0) ?? [];
    console.log(`vmd postcopy: ${rec?.samples.length} samples, ${after.length} with postcopy requests, wall ${rec?.end?.wallMs} ms`);
    expect(await where('vmd')).toEqual({ hvA: undefined, hvB: 'running' });
  });

  it('abort: vmd stays running on hvA and the record says aborted', async () => {
    const id = await vmdMoving();
    const t0 = Date.now();
    expect((await engine.control(id, { kind: 'abort' })).ok).toBe(true);
    const rec = await engine.settled(id);
    console.log(`abort -> record ended in ${Date.now() - t0} ms`);
    expect(rec?.state).toBe('aborted');
    // libvirt says "operation aborted", or masks it as "End of file while reading data" (P10): seen both on the lab.
    expect(rec?.end?.error?.detail).toMatch(/operation aborted|End of file while reading data/);
    console.log(`abort detail: ${rec?.end?.error?.detail ?? ''}`);
    expect(await where('vmd')).toEqual({ hvA: 'running', hvB: undefined });
    expect(fromDisk(id)?.state).toBe('aborted');
  });

  it("destination sshd stopped: failed with libvirt's own text", async () => {
    await labCommand(['stop', 'sshd', 'hvB']);
    try {
      const s = await engine.start({ vm: 'vm1', source: hvA, destination: hvB, options: { live: true, p2p: true } });
      if (!s.ok) throw new Error(s.error.message);
      const rec = await engine.settled(s.value.id);
      expect(rec?.state).toBe('failed');
      expect(rec?.end?.message).toMatch(/^Migration failed: error: .*(Connection refused|Cannot recv data)/);
      expect(rec?.end?.error?.detail).toMatch(/10\.77\.0\.12/);
      console.log(`sshd stopped: ${rec?.end?.message} (${rec?.end?.wallMs} ms)`);
      expect(fromDisk(s.value.id)?.state).toBe('failed');
    } finally {
      await labCommand(['start', 'sshd', 'hvB']);
    }
    expect((await where('vm1')).hvA).toBe('running');
  });

  it('reconciles records left without an end by asking the hosts (a restart after a crash)', async () => {
    // Records as a Ferry killed mid-migration leaves them: a start, no end. After vmReset vm1 and vmd run on hvA.
    const crashedDir = mkdtempSync(join(tmpdir(), 'ferry-engine-crashed-'));
    try {
      const j0 = await Journal.open({ dataDir: crashedDir });
      const start = (vm: string, source: MigrationHostRef, destination: MigrationHostRef) => ({ vm, source, destination, options: {}, argv: [], commandLine: '', intervalMs: 1000 });
      await j0.append({ type: 'start', id: 'to-a', at: Date.now(), start: start('vm1', hvB, hvA) });
      await j0.append({ type: 'start', id: 'from-a', at: Date.now(), start: start('vmd', hvA, hvB) });
      await j0.close();
      const j1 = await Journal.open({ dataDir: crashedDir });
      const restarted = new MigrationEngine({ journal: j1, hosts });
      const recs = await restarted.reconcile();
      await restarted.dispose();
      await j1.close();
      expect(recs.map((r) => [r.id, r.state])).toEqual([
        ['to-a', 'completed'],
        ['from-a', 'failed'],
      ]);
      // libvirt's text when it kept a failed job's statistics, else a sentence (decideEnd in engine.ts).
      expect(recs[1]?.end?.message).toMatch(/^vmd still runs on hvA with no migration job after a restart: the migration did not complete|^Migration failed: .* vmd still runs on hvA\.$/);
      const again = parseJournal(readFileSync(join(crashedDir, JOURNAL_FILE), 'utf8'));
      expect(again.lines.map((l) => l.type)).toEqual(['start', 'start', 'reconcile', 'reconcile']);
    } finally {
      rmSync(crashedDir, { recursive: true, force: true });
    }
  });

  it('vmd destroyed on hvA mid-migration: an error state within about a sample period, the record kept', async () => {
    const id = await vmdMoving();
    const t0 = Date.now();
    const destroyed = await hx('hvA', ['virsh', 'destroy', 'vmd']);
    expect(destroyed.code).toBe(0);
    const rec = await engine.settled(id);
    const ms = Date.now() - t0;
    console.log(`destroyed mid-migration -> ${rec?.state} in ${ms} ms: ${rec?.end?.message}`);
    expect(rec?.state).toBe('failed');
    expect(rec?.end?.message).toMatch(/vmd (is shut-off on|is gone from|disappeared from) hvA/);
    // How fast (the issue asks for "within one sample period") is printed above, not asserted: timings on a shared
    // 2-core machine are not a test's business.
    expect(fromDisk(id)?.state).toBe('failed');
  });
});
