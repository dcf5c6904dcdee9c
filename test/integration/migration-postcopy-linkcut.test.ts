// A 15 s cut of the migration link during post-copy, through Ferry's engine on the lab. vmd hvA -> hvB with post-copy
// at 1 MiB/s over the migration network (tcp://10.77.2.12), switched in a re-send pass with 16 MiB or more left, so
// the phase lasts long enough to cut it in the middle. The cut drops every frame at hvB's port on that network (`lab.sh blackhole on
// sw2-hvB 0`: a length limit of 0 matches all frames, both directions, no ICMP). TCP waits (its retransmissions back
// off) and the run goes on when the link comes back: Ferry must call that neither failed nor interrupted; during the
// cut the samples must show nothing moving. The control path (ssh to hvA's management address) is not cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, requireLab } from '../lab/use-lab';
import { cancelWatchdog, labCommand, labRun, startWatchdog, virsh, vmReset } from '../lab/lab';
import { openLabEngine, type LabEngine } from './lab-engine';
import { postcopyPhase, type MigrationHostRef, type MigrationRecord, type MigrationState } from '../../electron/main/migration/record';
import type { MigrationEngine } from '../../electron/main/migration/engine';
import { verdictOf } from '../../electron/main/migration/handlers';

const MiB = 1024 * 1024;
/** The scenario: how long the link stays cut. */
const CUT_MS = 15_000;
const PORT = 'sw2-hvB';

type Sample = MigrationRecord['samples'][number];
const processed = (s: Sample | undefined) => s?.info?.memoryProcessedBytes;
/** MiB/s between two samples, from the cumulative counter. */
const rate = (a: Sample | undefined, b: Sample | undefined) => {
  const pa = processed(a);
  const pb = processed(b);
  return a && b && pa !== undefined && pb !== undefined && b.at > a.at ? (pb - pa) / MiB / ((b.at - a.at) / 1000) : undefined;
};
const fmt = (v: number | undefined, digits = 2) => (v === undefined ? '?' : v.toFixed(digits));

describe.skipIf(!lab)('a 15 s cut of the migration link during post-copy', () => {
  let ferry: LabEngine;
  let hvA: MigrationHostRef;
  let hvB: MigrationHostRef;
  let engine: MigrationEngine;
  // The engine's clock: sample and event times come from it, and so do the cut's.
  const now = () => Date.now();

  beforeAll(async () => {
    await vmReset();
    ferry = await openLabEngine(requireLab(), { prefix: 'ferry-linkcut-lab-' });
    ({ hvA, hvB, engine } = ferry);
  });

  afterAll(async () => {
    await labRun(['blackhole', 'off', PORT]).catch(() => undefined);
    await ferry?.close();
    await vmReset();
  });

  /** Resolves once cond holds, checked at every engine update (a sample every 500 ms): no fixed sleeps. */
  const until = (what: string, cond: () => boolean, ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (cond()) return resolve();
      const off = engine.onUpdate(() => {
        if (!cond()) return;
        clearTimeout(timer);
        off();
        resolve();
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
    });

  it('neither fails nor interrupts the run: it stands still during the cut and completes on hvB afterwards', async () => {
    // Post-copy cannot be aborted; the watchdog only ends a run still pre-copying if the test stalls before the switch.
    const watchdog = await startWatchdog('hvA', 'vmd', 240);
    const states = new Set<MigrationState>();
    let id = '';
    const offStates = engine.onUpdate((u) => {
      if (u.id !== id) return;
      const rec = engine.record(id);
      if (rec) states.add(rec.state);
      if (u.kind === 'ended') states.add(u.end.state);
    });
    let cutOn: number | undefined;
    let cutOff: number | undefined;
    try {
      const s = await engine.start({
        vm: 'vmd',
        source: hvA,
        destination: hvB,
        destinationUser: 'root',
        options: { live: true, p2p: true, persistent: true, undefineSource: true, postcopy: true, postcopyBandwidthMiBps: 1, bandwidthMiBps: 8, migrateUri: 'tcp://10.77.2.12' },
        intervalMs: 500,
      });
      if (!s.ok) throw new Error(s.error.message);
      id = s.value.id;
      const rec = () => engine.record(id);
      // Switched in a re-send pass with at least 16 MiB left: at 1 MiB/s the phase outlasts the cut, and is not the
      // two minutes a switch in the bulk copy gives (QEMU refuses one before memory moves at all).
      await until('a re-send pass with 16 MiB left', () => (rec()?.samples ?? []).some((x) => (x.info?.iteration ?? 0) >= 2 && (x.info?.memoryRemainingBytes ?? 0) >= 16 * MiB), 90_000);
      const pc = await engine.control(id, { kind: 'postcopy' });
      expect(pc.ok, pc.ok ? '' : pc.error.detail).toBe(true);
      // In post-copy, with two samples of the phase to measure the rate before the cut.
      await until(
        'two samples in post-copy',
        () => {
          const r = rec();
          const phase = r && postcopyPhase(r);
          return phase !== undefined && r!.samples.filter((x) => x.at >= phase.startedAt && (x.info?.postcopyRequests ?? 0) > 0).length >= 2;
        },
        30_000,
      );
      expect(rec()?.state).toBe('running');

      await labRun(['blackhole', 'on', PORT, '0']);
      cutOn = now();
      try {
        // The scenario itself: the link stays cut for 15 s (a timer, the only fixed wait in this test).
        await new Promise((r) => setTimeout(r, CUT_MS));
      } finally {
        await labRun(['blackhole', 'off', PORT]);
        cutOff = now();
      }
      const done = await engine.settled(id);
      if (!done) throw new Error('no record');

      // The run: completed, on hvB, never failed nor interrupted.
      expect(done.state, done.end?.message).toBe('completed');
      expect(done.events.map((e) => e.kind)).not.toContain('post-copy-interrupted');
      expect([...states]).not.toContain('failed');
      expect([...states]).not.toContain('post-copy-interrupted');
      expect((await virsh('hvB', ['domstate', '--reason', 'vmd'])).trim()).toMatch(/^running \(/);
      expect((await labCommand(['hx', 'hvA', 'virsh', 'domstate', 'vmd'])).code).not.toBe(0); // --undefinesource

      // The cut fell inside the post-copy phase.
      const phase = postcopyPhase(done);
      if (!phase) throw new Error('no post-copy phase in the record');
      const phaseEnd = phase.endedAt ?? done.end?.at ?? Infinity;
      expect(phase.startedAt).toBeLessThan(cutOn);
      expect(phaseEnd).toBeGreaterThan(cutOff);

      // During the cut: samples keep coming (the control path is not cut) and show nothing moving once the socket
      // buffers are full (2 s in). At 1 MiB/s a moving run would send ~13 MiB in that window.
      const inPhase = done.samples.filter((x) => x.at >= phase.startedAt && x.at <= phaseEnd && processed(x) !== undefined);
      const during = inPhase.filter((x) => x.at >= cutOn! + 2000 && x.at <= cutOff!);
      expect(during.length).toBeGreaterThanOrEqual(10);
      expect(done.samples.filter((x) => x.at >= cutOn! && x.at <= cutOff! && x.error !== undefined)).toEqual([]);
      const stood = (processed(during.at(-1)) ?? 0) - (processed(during[0]) ?? 0);
      expect(stood).toBeLessThan(MiB);
      // The verdict after each sample of the cut, as the view showed it: never a failure; its signals see the stillness.
      const verdicts = during.map((x) => verdictOf({ ...done, state: 'running', samples: done.samples.filter((y) => y.at <= x.at) }));
      for (const v of verdicts) expect(['post-copy', 'stalled', 'slow']).toContain(v?.state);
      expect(verdicts.at(-1)?.signals.stillForMs ?? 0).toBeGreaterThanOrEqual(8000);

      // After the link came back: it moves again.
      const before = inPhase.filter((x) => x.at <= cutOn!);
      const after = inPhase.filter((x) => x.at >= cutOff!);
      const lastStill = processed(during.at(-1)) ?? 0;
      const moved = after.find((x) => (processed(x) ?? 0) > lastStill + 64 * 1024);
      expect(moved).toBeDefined();

      const reported = during.map((x) => x.info?.memoryBandwidthBytesPerSecond).filter((b): b is number => b !== undefined);
      console.log(
        [
          `post-copy link cut: phase ${fmt((phaseEnd - phase.startedAt) / 1000, 1)} s (switch to end), cut ${fmt((cutOff - cutOn) / 1000, 1)} s starting ${fmt((cutOn - phase.startedAt) / 1000, 1)} s into it`,
          `throughput (counter): before ${fmt(rate(before[0], before.at(-1)))} MiB/s, during ${fmt(rate(during[0], during.at(-1)), 3)} MiB/s (${(stood / 1024).toFixed(0)} KiB in ${fmt(((during.at(-1)?.at ?? 0) - (during[0]?.at ?? 0)) / 1000, 1)} s, ${during.length} samples), after ${fmt(rate(after[0], after.at(-1)))} MiB/s`,
          `moving again ${fmt(((moved?.at ?? NaN) - cutOff) / 1000, 1)} s after the link came back; libvirt's reported bandwidth during the cut ${reported.length ? `${fmt(Math.min(...reported) / MiB)}-${fmt(Math.max(...reported) / MiB)} MiB/s` : 'absent'}`,
          `verdicts during the cut: ${[...new Set(verdicts.map((v) => v?.state))].join(', ')}; still for ${fmt((verdicts.at(-1)?.signals.stillForMs ?? 0) / 1000, 1)} s at the end of it; record states seen: ${[...states].join(', ')}; end ${done.end?.state} after ${fmt((done.end?.wallMs ?? 0) / 1000, 1)} s`,
        ].join('\n'),
      );
    } finally {
      offStates();
      if (cutOn !== undefined && cutOff === undefined) await labRun(['blackhole', 'off', PORT]).catch(() => undefined);
      await cancelWatchdog(watchdog).catch(() => undefined);
    }
  }, 360_000);
});
