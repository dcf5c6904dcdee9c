// Quit and restart in the middle of a migration, on the lab: vmd starts migrating hvA -> hvB at 2 MiB/s (a minute's
// work); the first Ferry (engine, journal, SSH pool) is disposed while it runs; libvirtd carries on with the p2p job;
// a second Ferry on the same data directory re-attaches to it at reconcile (same record, a 'reattached' event,
// samples continue their sequence), raises the cap through its own connection, and ends the record 'completed' with
// the final statistics. vmd goes back to hvA afterwards (vmReset), a watchdog guards the job.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, requireLab } from '../lab/use-lab';
import { cancelWatchdog, labHost, startWatchdog, vmReset } from '../lab/lab';
import { openLabEngine, waitUntil, type LabEngine } from './lab-engine';
import { runCommand } from '../../electron/main/remote/run-command';
import { virshDomjobinfo } from '../../shared/commands';
import type { MigrationHostRef } from '../../electron/main/migration/record';

const MiB = 1024 * 1024;

describe.skipIf(!lab)('re-attaching to a migration after a restart, on the lab', () => {
  let dir: string;
  let hvA: MigrationHostRef;
  let hvB: MigrationHostRef;
  const toClose: (() => Promise<void>)[] = [];
  let watchdog: number | undefined;

  beforeAll(async () => {
    const l = requireLab();
    await vmReset();
    hvA = { id: 'hvA', name: 'hvA', address: labHost(l, 'hvA').ip };
    hvB = { id: 'hvB', name: 'hvB', address: labHost(l, 'hvB').ip };
    dir = mkdtempSync(join(tmpdir(), 'ferry-reattach-lab-'));
  });

  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c().catch(() => undefined);
    if (watchdog !== undefined) await cancelWatchdog(watchdog).catch(() => undefined);
    watchdog = undefined;
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await vmReset();
  });

  /** One "Ferry": its own SSH pool, journal and engine on the shared data directory, as createFerryMain builds them. */
  async function openFerry(): Promise<LabEngine> {
    const f = await openLabEngine(requireLab(), { dir });
    toClose.push(() => f.close());
    return f;
  }

  it('follows vmd again after the Ferry that started it quit, and ends it completed with the final statistics', async () => {
    watchdog = await startWatchdog('hvA', 'vmd', 150);
    const first = await openFerry();
    const s = await first.engine.start({ vm: 'vmd', source: hvA, destination: hvB, options: { live: true, p2p: true, bandwidthMiBps: 2 }, intervalMs: 500 });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    const moving = () => (first.engine.record(id)?.samples ?? []).filter((x) => x.info?.memoryTotalBytes !== undefined).length;
    await waitUntil('three samples with memory moving', () => moving() >= 3, 60_000);

    // Quit mid-run: the migrate command's channel is cut (its virsh is TERMed), sampling stops, nothing is ended.
    await first.close();
    const quit = first.fromDisk(id);
    expect(quit?.state).toBe('running');
    expect(quit?.end).toBeUndefined();
    expect(quit?.events.map((e) => e.kind)).toContain('detached');
    const lastSeq = quit?.samples.at(-1)?.seq ?? -1;

    // libvirtd carried on with the job (checked from outside Ferry, on a fresh connection).
    const second = await openFerry();
    const job = await runCommand(second.hosts.exec(hvA), virshDomjobinfo('vmd'));
    expect(job.ok && job.value.type).toBe('unbounded');

    const recs = await second.engine.reconcile();
    expect(recs.map((r) => [r.id, r.state])).toEqual([[id, 'running']]);
    expect(second.engine.isRunning(id)).toBe(true);
    expect(second.engine.record(id)?.events.at(-1)?.kind).toBe('reattached');
    await waitUntil('two samples after re-attaching', () => (second.engine.record(id)?.samples ?? []).filter((x) => x.seq > lastSeq && x.info).length >= 2, 30_000);

    // A live control on the re-attached job: it acts on the domain (the first Ferry's channel is gone).
    const speed = await second.engine.control(id, { kind: 'set-speed', mibPerSecond: 100 });
    expect(speed.ok, speed.ok ? '' : speed.error.message).toBe(true);
    const rec = await second.engine.settled(id);
    expect(rec?.state, rec?.end?.message).toBe('completed');
    expect(rec?.end?.reconciled).toBe(false);
    const final = rec?.end?.final;
    expect(final?.readOn).toBe('source');
    expect(final?.totalTimeMs).toBeGreaterThan(0);
    expect(final?.dataSentBytes).toBeGreaterThan(10 * MiB);
    expect(final?.downtimeMs).toBeGreaterThanOrEqual(0);
    const seqs = rec?.samples.map((x) => x.seq) ?? [];
    expect(new Set(seqs).size).toBe(seqs.length); // one sequence across both Ferrys
    expect(seqs.some((q) => q > lastSeq)).toBe(true);
    const at = await second.where('vmd');
    expect(at.hvB).toBe('running');
    expect(at.hvA).not.toBe('running');
    await second.close();
    const disk = second.fromDisk(id);
    expect(disk?.state).toBe('completed');
    expect(disk?.samples.length).toBe(rec?.samples.length);
    console.log(
      `re-attach: ${quit?.samples.length} samples before the quit, ${(rec?.samples.length ?? 0) - (quit?.samples.length ?? 0)} after; ${rec?.end?.message} (wall ${rec?.end?.wallMs} ms)`,
    );
  });
});
