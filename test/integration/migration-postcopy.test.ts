// Post-copy on the lab, through the SSH core Ferry uses: vmd (busy) at 8 MiB/s with post-copy allowed, switched
// once the first pass is over. libvirt 9.0 keeps no completed statistics of a post-copy run on either host (the
// destination answers "Job type: None", the source forgot the VM with --undefinesource), so the record's figures
// must come from the source's job-completed event; the switch and the end of the phase must be in the record.
// Every run has a watchdog on the source and the guests go home afterwards (vmReset).
import { describe, expect, it } from 'vitest';
import { lab } from '../lab/use-lab';
import { waitUntil, type LabEngine } from './lab-engine';
import { labEngineSuite } from './lab-engine-suite';
import { postcopyPhase, type MigrationHostRef } from '../../electron/main/migration/record';
import type { MigrationEngine } from '../../electron/main/migration/engine';
import { recordView } from '../../electron/main/migration/handlers';
import { migrationRecordSchema } from '../../shared/migration/record-schema';

const MiB = 1024 * 1024;

describe.skipIf(!lab)('post-copy migrations on the lab', () => {
  let t: LabEngine;
  let hvA: MigrationHostRef;
  let hvB: MigrationHostRef;
  let engine: MigrationEngine;
  const { watchdog } = labEngineSuite('ferry-postcopy-lab-', (opened) => {
    t = opened;
    ({ hvA, hvB, engine } = t);
  });

  /** Starts vmd hvA -> hvB with post-copy allowed, waits for the second pass (it does not converge), switches. */
  const switchedRun = async (extra: { postcopyBandwidthMiBps?: number }) => {
    // The watchdog aborts a job still pre-copying if the test stalls (post-copy itself cannot be aborted).
    await watchdog('hvA', 'vmd', 90);
    const s = await engine.start({
      vm: 'vmd',
      source: hvA,
      destination: hvB,
      options: { live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 8, postcopy: true, ...extra },
      intervalMs: 500,
    });
    if (!s.ok) throw new Error(s.error.message);
    const id = s.value.id;
    await waitUntil('the second pass', () => (engine.record(id)?.samples ?? []).some((x) => (x.info?.iteration ?? 0) >= 2), 75_000);
    const pc = await engine.control(id, { kind: 'postcopy' });
    expect(pc.ok, pc.ok ? '' : pc.error.detail).toBe(true);
    const rec = await engine.settled(id);
    if (!rec) throw new Error('no record');
    return rec;
  };

  it('at the default post-copy bandwidth: completed, the switch and the phase end recorded, total time, downtime and data sent from the job-completed event', async () => {
    const rec = await switchedRun({});
    expect(rec.state, rec.end?.message).toBe('completed');
    const final = rec.end?.final;
    expect(final?.readOn).not.toBe('none');
    expect(final?.readVia).toBe('job-completed-event');
    expect(typeof final?.totalTimeMs).toBe('number');
    expect(typeof final?.downtimeMs).toBe('number');
    expect(final?.dataSentBytes).toBeGreaterThan(50 * MiB);
    const phase = postcopyPhase(rec);
    expect(phase?.startedAt).toBeGreaterThan(rec.startedAt ?? 0);
    expect(phase?.endedAt).toBeGreaterThanOrEqual(phase?.startedAt ?? Infinity);
    expect(rec.events.some((e) => e.kind === 'post-copy')).toBe(true);
    const view = migrationRecordSchema.parse(recordView(rec));
    expect(view.postcopy?.startedAt).toBe(phase?.startedAt);
    expect(typeof view.result.totalTimeMs).toBe('number');
    expect(typeof view.result.downtimeMs).toBe('number');
    expect(typeof view.result.dataBytes).toBe('number');
    const disk = t.fromDisk(rec.id);
    expect(disk?.end?.final?.readVia).toBe('job-completed-event');
    console.log(
      `post-copy (default bandwidth): phase ${((phase?.endedAt ?? 0) - (phase?.startedAt ?? 0)).toFixed(0)} ms, sampled ${phase?.sampled}, job ${final?.totalTimeMs} ms, downtime ${final?.downtimeMs} ms, ${((final?.dataSentBytes ?? 0) / MiB).toFixed(1)} MiB, wall ${rec.end?.wallMs} ms`,
    );
  });

  it('at a post-copy bandwidth of 2 MiB/s the phase lasts long enough to be sampled, and sampling goes on through it', async () => {
    const rec = await switchedRun({ postcopyBandwidthMiBps: 2 });
    expect(rec.state, rec.end?.message).toBe('completed');
    const phase = postcopyPhase(rec);
    if (!phase) throw new Error('no post-copy phase in the record');
    const during = rec.samples.filter((x) => x.at >= phase.startedAt && (phase.endedAt === undefined || x.at <= phase.endedAt) && x.info?.type === 'unbounded');
    console.log(
      `post-copy at 2 MiB/s: phase ${(phase.endedAt ?? 0) - phase.startedAt} ms, ${during.length} samples in it (max postcopy requests ${Math.max(0, ...during.map((x) => x.info?.postcopyRequests ?? 0))}), downtime ${rec.end?.final?.downtimeMs} ms`,
    );
    expect(phase.sampled).toBe(true);
    expect(during.length).toBeGreaterThan(0);
    expect(rec.end?.final?.readOn).not.toBe('none');
  });
});
