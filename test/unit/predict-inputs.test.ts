// The prediction's inputs from real lab runs (test/fixtures/migration-runs, each with its .cmd): vmd (256 MiB,
// rewriting a 20 MiB hot set) at 8 MiB/s plain and with auto-converge, and vm1 stalled by a black hole.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mayCalcDirtyRate, parseDirtyRate } from '../../shared/parsers/virsh-dirtyrate';
import {
  linkWithNic,
  combineRuns,
  estimateFromRun,
  judgeDirtyRate,
  passesOf,
  LOWER_BOUND_SPAN,
  writeSpeed,
  type EstimatorRun,
  type RunEstimates,
} from '../../shared/migration/predict-inputs';
import { estimateSchema, predictionInputsSchema } from '../../shared/migration/predict-schema';

const MiB = 1024 * 1024;
const DAY = 86_400_000;

function fixtureRun(name: string, over: Partial<EstimatorRun> = {}): EstimatorRun {
  const d = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', `${name}.json`), 'utf8')) as {
    vm: string;
    startedAt: number;
    options: { bandwidthMiBps?: number };
    samples: EstimatorRun['samples'];
  };
  return {
    id: name,
    vm: d.vm,
    sourceHostId: 'a',
    destinationHostId: 'b',
    startedAt: d.startedAt,
    ...(d.options.bandwidthMiBps !== undefined ? { bandwidthMiBps: d.options.bandwidthMiBps } : {}),
    samples: d.samples,
    ...over,
  };
}

describe('passesOf', () => {
  it('cuts the plain 8 MiB/s run into passes: a 14 s first sweep, then ~21 MiB re-sent every ~2.6 s', () => {
    const passes = passesOf(fixtureRun('plain-8-abort').samples);
    expect(passes.map((p) => p.pass)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const [p1, p2, p3] = passes;
    expect(p1?.remainingAtStartBytes).toBe(268968133);
    expect(p1?.beganMs).toBeGreaterThan(779);
    expect(p1?.beganMs).toBeLessThan(1779);
    expect(p1?.sentBytes).toBeGreaterThan(105e6);
    expect(p1?.sentBytes).toBeLessThan(114e6);
    // Pass 2 also carries what the long first sweep left dirty; from pass 3 on it is the hot set.
    expect(p2?.remainingAtStartBytes).toBeGreaterThan(22 * MiB);
    for (const p of passes.slice(2, 12)) {
      expect(p.remainingAtStartBytes).toBeGreaterThan(20 * MiB);
      expect(p.remainingAtStartBytes).toBeLessThan(22 * MiB);
      expect((p.endedMs ?? 0) - (p.beganMs ?? 0)).toBeGreaterThan(2400);
      expect((p.endedMs ?? 0) - (p.beganMs ?? 0)).toBeLessThan(2900);
      expect(p.throttlePercent).toBe(0);
    }
    expect(p3?.beganMs).toBe(p2?.endedMs);
    // The run was aborted during pass 13: its end is not known.
    expect(passes[passes.length - 1]?.endedMs).toBeUndefined();
    // QEMU's dirty rate sits at the cap: the guest re-dirties faster than 8 MiB/s can carry.
    expect(passes[5]?.dirtyRateBytesPerSecond).toBeGreaterThan(7.5 * MiB);
  });

  it('reports the throttle, and leaves the start of a pass after an unsampled one unknown', () => {
    const passes = passesOf(fixtureRun('autoconverge-8').samples);
    expect(passes.find((p) => p.pass === 4)?.throttlePercent).toBe(20);
    expect(passes.find((p) => p.pass === 20)?.throttlePercent).toBe(99);
    const p23 = passes.find((p) => p.pass === 23);
    expect(passes.some((p) => p.pass === 22)).toBe(false);
    expect(p23?.beganMs).toBeUndefined();
    expect(p23?.remainingAtStartBytes).toBeUndefined();
  });

  it('gives nothing for samples without pre-copy figures', () => {
    expect(passesOf([{}, { info: { format: 'human', type: 'none' } }])).toEqual([]);
  });
});

describe('estimateFromRun', () => {
  it('plain 8 MiB/s: a pinned ~23 MiB working set, a write speed known only from below, the cap as the link floor', () => {
    const e = estimateFromRun(fixtureRun('plain-8-abort'));
    expect(e.pinned).toBe(true);
    // Each pass re-sends ~20.9 MiB; the ~2 MiB still pending at each sync (threshold 2.4 MiB less half a 0.8 MiB
    // chunk) belongs to the set too.
    expect(e.workingSetBytes?.value).toBeGreaterThan(22.5 * MiB);
    expect(e.workingSetBytes?.value).toBeLessThan(23.5 * MiB);
    expect(e.workingSetBytes?.source).toBe('history');
    expect(e.writeLowerBoundOnly).toBe(true);
    expect(e.writeBytesPerSecond?.low).toBeGreaterThan(7.5 * MiB);
    expect(e.writeBytesPerSecond?.high).toBeCloseTo((e.writeBytesPerSecond?.low ?? 0) * LOWER_BOUND_SPAN);
    expect(e.writeBytesPerSecond?.basis).toMatch(/at least/i);
    expect(e.firstPassBytes?.value).toBeGreaterThan(105 * MiB);
    expect(e.firstPassBytes?.value).toBeLessThan(110 * MiB);
    expect(e.capLimited).toBe(true);
    expect(e.throughputBytesPerSecond?.low).toBeGreaterThan(7.9 * MiB);
    expect(e.throughputBytesPerSecond?.basis).toMatch(/at least/);
    expect(e.setupMs?.value).toBeGreaterThan(779);
    expect(e.setupMs?.value).toBeLessThan(1779);
    for (const est of [e.workingSetBytes, e.writeBytesPerSecond, e.firstPassBytes, e.throughputBytesPerSecond, e.setupMs]) {
      expect(estimateSchema.safeParse(est).success).toBe(true);
    }
  });

  it('auto-converge: the same working set despite the throttle, and the source a trial run is given', () => {
    const e = estimateFromRun(fixtureRun('autoconverge-8'), 'trial');
    expect(e.pinned).toBe(true);
    expect(e.workingSetBytes?.value).toBeGreaterThan(22.5 * MiB);
    expect(e.workingSetBytes?.value).toBeLessThan(23.5 * MiB);
    expect(e.workingSetBytes?.source).toBe('trial');
    // Throttled passes only bound the write speed from below.
    expect(e.writeLowerBoundOnly).toBe(true);
  });

  it('a stalled run says nothing of the link, the working set or the setup', () => {
    const e = estimateFromRun(fixtureRun('blackhole-stall'));
    expect(e.throughputBytesPerSecond).toBeUndefined();
    expect(e.workingSetBytes).toBeUndefined();
    expect(e.writeBytesPerSecond).toBeUndefined();
    expect(e.setupMs).toBeUndefined();
  });

  it('measures the write speed when passes shrink instead of staying pinned', () => {
    // A synthetic converging run at 10 MB/s: pass 2 re-sends 4 MB written during the 10 s sweep, pass 3 1 MB
    // written during pass 2's 0.4 s, pass 4 0.25 MB written during pass 3's 0.1 s: the guest writes 2.5 MB/s.
    // Pages: pass 1 sweeps 24,415 pages; the pass-2 sample has sent 488 more (2 MB). A max downtime of 10 ms
    // (threshold 0.1 MB, under half a 0.5 MB chunk) leaves nothing pending at a sync.
    const sample = (t: number, iteration: number, processed: number, remaining: number, normalPages = 0) => ({
      info: { format: 'human' as const, type: 'unbounded' as const, timeElapsedMs: t, iteration, memoryProcessedBytes: processed, memoryRemainingBytes: remaining, memoryTotalBytes: 100e6, memoryBandwidthBytesPerSecond: 10e6, pageSizeBytes: 4096, normalPages, constantPages: 0 },
    });
    const run: EstimatorRun = {
      id: 'synthetic',
      vm: 'x',
      sourceHostId: 'a',
      destinationHostId: 'b',
      startedAt: 0,
      maxDowntimeMs: 10,
      samples: [sample(1000, 1, 0, 100e6), sample(6000, 1, 50e6, 50e6), sample(11_000, 1, 100e6, 0), sample(11_200, 2, 102e6, 2e6, 24_903), sample(11_420, 3, 104.2e6, 0.8e6, 25_000), sample(11_510, 4, 105.1e6, 0.15e6, 25_100)],
    };
    const passes = passesOf(run.samples);
    expect(passes.map((p) => Math.round((p.remainingAtStartBytes ?? 0) / 1e4) / 100)).toEqual([100, 4, 1, 0.25]);
    const e = estimateFromRun(run);
    expect(e.pinned).toBe(false);
    expect(e.writeLowerBoundOnly).toBe(false);
    expect(e.writeBytesPerSecond?.value).toBeGreaterThan(2e6);
    expect(e.writeBytesPerSecond?.value).toBeLessThan(3e6);
    expect(e.workingSetBytes?.basis).toMatch(/at least/);
  });

  // Synthetic runs at 10 MB/s whose samples all lie on t = 1000 + processed / 10^4 ms (pass 1 sweeps 100 MB, 24,415
  // pages, from 1 s to 11 s); `constant` is processed + remaining within a pass.
  const onLine = (iteration: number, processed: number, constant: number, normalPages = 0) => ({
    info: { format: 'human' as const, type: 'unbounded' as const, timeElapsedMs: 1000 + processed / 1e4, iteration, memoryProcessedBytes: processed, memoryRemainingBytes: constant - processed, memoryTotalBytes: 100e6, memoryBandwidthBytesPerSecond: 10e6, pageSizeBytes: 4096, normalPages, constantPages: 0 },
  });
  const synthetic = (maxDowntimeMs: number, samples: EstimatorRun['samples'], final?: EstimatorRun['final']): EstimatorRun => ({
    id: 'synthetic', vm: 'x', sourceHostId: 'a', destinationHostId: 'b', startedAt: 0, maxDowntimeMs, samples: [onLine(1, 0, 100e6), onLine(1, 50e6, 100e6), ...samples], ...(final ? { final } : {}),
  });

  it('draws the leftover from what the pass before had pending, not from the working set alone', () => {
    // Max downtime 275 ms: threshold 2.75 MB, less half a 0.5 MB uncapped chunk: a 2.5 MB leftover at each sync. The
    // guest dirties 2.5 MB/s. Pass 2 re-sends 30 MB (3 s; more than the working set: the sweep left other pages
    // dirty), so its 2.5 MB leftover lies in a 32.5 MB pool: pass 3 re-sends 2.5 x 3 x (1 - 2.5 / 32.5) = 6.923 MB
    // (0.6923 s). The working set is then 6.923 + 2.5 = 9.423 MB, and pass 4 re-sends
    // 2.5 x 0.6923 x (1 - 2.5 / 9.423) = 1.2716 MB. Both passes give back 2.5 MB/s; drawing pass 2's leftover from
    // the 9.423 MB working set instead would make pass 3 say 2.308 / (1 - 2.5 / 9.423) = 3.14 MB/s.
    const c2 = 130e6;
    const c3 = c2 + 6.923077e6;
    const c4 = c3 + 1.271586e6;
    const run = synthetic(275, [onLine(2, 102e6, c2, 24_903), onLine(3, 132e6, c3), onLine(4, c3 + 0.5e6, c4), onLine(5, c4 + 0.1e6, c4 + 0.2e6)]);
    const e = estimateFromRun(run);
    expect(e.pinned).toBe(false);
    expect(e.workingSetBytes?.value).toBeCloseTo(9.423077e6, -3);
    expect(e.writeLowerBoundOnly).toBe(false);
    expect(e.writeBytesPerSecond?.value).toBeCloseTo(2.5e6, -3);
    expect(e.writeBytesPerSecond?.high).toBeCloseTo(2.5e6, -3);
  });

  it("measures the write speed from a completed run's tail after its last sampled pass", () => {
    // Max downtime 10 ms: no leftover. Pass 2 (sync at 11 s) re-sends 4 MB, then nothing is sampled until the run
    // completes at 13 s with 20 ms of downtime, 109 MB sent: 5 MB dirtied in 1.98 s = 2.525 MB/s. Pass 2's re-send
    // over the 10 s sweep (0.4 MB/s) is only a bound and gives way.
    const final = { format: 'human' as const, type: 'completed' as const, timeElapsedMs: 13_000, memoryProcessedBytes: 109e6, iteration: 5, totalDowntimeMs: 20 };
    const e = estimateFromRun(synthetic(10, [onLine(2, 102e6, 104e6, 24_903)], final));
    expect(e.writeLowerBoundOnly).toBe(false);
    expect(e.writeBytesPerSecond?.value).toBeCloseTo(5e6 / 1.98, -3);
    expect(e.writeBytesPerSecond?.basis).toMatch(/until the guest stopped/);
    // A tail under 1 s (completed at 11.9 s: 0.88 s) is dominated by the last syncs, not the working set: not used.
    const short = estimateFromRun(synthetic(10, [onLine(2, 102e6, 104e6, 24_903)], { ...final, timeElapsedMs: 11_900 }));
    expect(short.writeLowerBoundOnly).toBe(true);
    expect(short.writeBytesPerSecond?.value).toBeCloseTo(0.4e6, -3);
  });
});

describe('combineRuns', () => {
  const now = 1796652200000;
  const plain = estimateFromRun(fixtureRun('plain-8-abort'));
  const auto = estimateFromRun(fixtureRun('autoconverge-8'));
  const target = { vm: 'vmd', sourceHostId: 'a', destinationHostId: 'b' };

  it('folds the two vmd runs: newest first, the range covering both, the link only as a floor', () => {
    const inputs = combineRuns([auto, plain], target, now);
    expect(predictionInputsSchema.safeParse(inputs).success).toBe(true);
    expect(inputs.basisRunIds).toEqual(['plain-8-abort', 'autoconverge-8']);
    const ws = inputs.workingSetBytes;
    expect(ws?.low).toBeLessThanOrEqual(Math.min(plain.workingSetBytes?.low ?? 0, auto.workingSetBytes?.low ?? 0));
    expect(ws?.high).toBeGreaterThanOrEqual(Math.max(plain.workingSetBytes?.high ?? 0, auto.workingSetBytes?.high ?? 0));
    // The newest (plain) weighs twice the older.
    const expected = (2 * (plain.workingSetBytes?.value ?? 0) + (auto.workingSetBytes?.value ?? 0)) / 3;
    expect(ws?.value).toBeCloseTo(expected);
    expect(inputs.writeBytesPerSecond?.low).toBeGreaterThan(7.5 * MiB);
    expect(inputs.linkBytesPerSecond?.low).toBeGreaterThan(7.9 * MiB);
    expect(inputs.notes.join(' ')).toMatch(/write speed was not measured/);
    expect(inputs.notes.join(' ')).toMatch(/link's speed is only a lower bound/);
    expect(inputs.memoryBytes?.value).toBe(268968133);
    expect(inputs.setupMs?.value).toBeGreaterThan(900);
  });

  it("reads each run's write speed again with the working set it settles, as the model will simulate with", () => {
    // Run 'pinned' holds a 20 MB working set (and says the guest writes at least 2 MB/s). Run 'shrinking' saw its passes shrink, so its own working set (10 MB)
    // is only "at least": its 6 MB re-sent in 2 s beside a 2.5 MB leftover reads 6 / (1 - 2.5 / 10) / 2 = 4 MB/s on
    // its own, but 6 / (1 - 2.5 / 20) / 2 = 3.43 MB/s against the 20 MB set the prediction uses.
    const est = (value: number) => ({ value, low: value, high: value, source: 'history' as const, basis: 'b' });
    const common = { vm: 'x', sourceHostId: 'a', destinationHostId: 'b', passes: [], capLimited: true };
    const pinnedRun: RunEstimates = { ...common, runId: 'pinned', startedAt: 1, workingSetBytes: est(20e6), pinned: true, writeBytesPerSecond: { ...est(2e6), high: 8e6 }, writeLowerBoundOnly: true };
    const evidence = { leftoverBytes: 2.5e6, items: [{ kind: 'measured' as const, freshBytes: 6e6, seconds: 2, pendingBytes: 8e6 }], tail: false };
    const own = writeSpeed(evidence, 10e6, 'history', 'run shrinking');
    expect(own.writeBytesPerSecond?.value).toBeCloseTo(4e6, -1);
    const shrinking: RunEstimates = { ...common, runId: 'shrinking', startedAt: 2, workingSetBytes: { ...est(10e6), basis: 'at least' }, pinned: false, ...(own.writeBytesPerSecond ? { writeBytesPerSecond: own.writeBytesPerSecond } : {}), writeLowerBoundOnly: false, writeEvidence: evidence };
    const inputs = combineRuns([pinnedRun, shrinking], { vm: 'x', sourceHostId: 'a', destinationHostId: 'b' }, 3);
    expect(inputs.workingSetBytes?.value).toBe(20e6);
    expect(inputs.writeBytesPerSecond?.value).toBeCloseTo(6e6 / (1 - 2.5 / 20) / 2, -1);
  });

  it('ignores runs that are too old or of another memory size, and says so', () => {
    const old = { ...auto, runId: 'old', startedAt: now - 200 * DAY };
    const bigger = { ...auto, runId: 'bigger', memoryTotalBytes: 2 * 268968133 };
    const inputs = combineRuns([old, bigger, plain], { ...target, memoryBytes: 256 * MiB }, now);
    // The bigger VM's run still measured the route; the old one is not used at all.
    expect(inputs.basisRunIds).toEqual(['plain-8-abort', 'bigger']);
    expect(inputs.workingSetBytes).toEqual(plain.workingSetBytes);
    expect(inputs.memoryBytes).toBeUndefined();
    expect(inputs.notes.join(' ')).toMatch(/older than 90 days/);
    expect(inputs.notes.join(' ')).toMatch(/another memory size/);
  });

  it('takes the link from any VM between the same hosts, and nothing from another route', () => {
    const other = { ...plain, vm: 'vm9', runId: 'vm9-run' };
    const inputs = combineRuns([other], target, now);
    expect(inputs.workingSetBytes).toBeUndefined();
    expect(inputs.linkBytesPerSecond).toBeDefined();
    expect(inputs.basisRunIds).toEqual(['vm9-run']);
    const elsewhere = combineRuns([{ ...other, destinationHostId: 'c' }], target, now);
    expect(elsewhere.linkBytesPerSecond).toBeUndefined();
    expect(elsewhere.basisRunIds).toEqual([]);
  });

  it('without runs: only the VM and no parts', () => {
    expect(combineRuns([], target, now)).toEqual({ vm: 'vmd', basisRunIds: [], notes: [] });
  });
});

describe('domdirtyrate-calc', () => {
  it('is allowed on KVM domains only', () => {
    expect(mayCalcDirtyRate('kvm')).toBe(true);
    expect(mayCalcDirtyRate('qemu')).toBe(false);
    expect(mayCalcDirtyRate(undefined)).toBe(false);
  });

  const measured = "Domain: 'vmd'\n  dirtyrate.calc_status=2\n  dirtyrate.calc_start_time=1234\n  dirtyrate.calc_period=1\n  dirtyrate.calc_mode=page-sampling\n  dirtyrate.megabytes_per_second=5\n\n";

  it('reads the lab\'s answer before any measurement (virsh domstats --dirtyrate --domain vm1, libvirt 9.0) as not measured', () => {
    const never = "Domain: 'vm1'\n  dirtyrate.calc_status=0\n  dirtyrate.calc_start_time=0\n  dirtyrate.calc_period=0\n  dirtyrate.calc_mode=page-sampling\n\n";
    const r = parseDirtyRate(never);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/has not finished \(calc_status 0\)/);
  });

  it('parses a finished page-sampling measurement', () => {
    expect(parseDirtyRate(measured)).toEqual({ ok: true, value: { mibPerSecond: 5, mode: 'page-sampling', periodS: 1 } });
  });

  it('refuses garbled, unfinished, other-mode or empty output with an error, never a zero', () => {
    const bad = [
      measured.replace('=5', '=five'),
      measured.replace('calc_status=2', 'calc_status=1'),
      measured.replace('page-sampling', 'dirty-bitmap'),
      measured.replace(/.*megabytes_per_second.*\n/, ''),
      "Domain: 'vmd'\n  garbage here\n",
      "Domain: 'vmd'\n",
      '',
      "error: failed to get domain 'vmd'\n",
    ];
    for (const text of bad) expect(parseDirtyRate(text).ok, text).toBe(false);
  });

  it('does not trust a reading that disagrees with history, and uses one when there is no history', () => {
    const history = { value: 5 * MiB, low: 4 * MiB, high: 6 * MiB, source: 'history' as const, basis: 'x' };
    const zero = judgeDirtyRate({ mibPerSecond: 0, mode: 'page-sampling' }, history);
    expect(zero.use).toBeUndefined();
    expect(zero.note).toMatch(/not trusted/);
    expect(judgeDirtyRate({ mibPerSecond: 13, mode: 'page-sampling' }, history).note).toMatch(/not trusted/);
    expect(judgeDirtyRate({ mibPerSecond: 5, mode: 'page-sampling' }, history)).toEqual({ note: expect.stringMatching(/in line/) });
    const alone = judgeDirtyRate({ mibPerSecond: 5, mode: 'page-sampling' }, undefined);
    expect(alone.use?.source).toBe('dirtyrate-calc');
    expect(alone.use?.value).toBe(5 * MiB);
    expect(judgeDirtyRate({ mibPerSecond: 0, mode: 'page-sampling' }, undefined).use).toBeUndefined();
  });
});

describe('linkWithNic', () => {
  const nic = { iface: 'eth0', megabitsPerSecond: 1000 };
  const n = 125e6;
  const measured = { value: 100e6, low: 90e6, high: 140e6, source: 'history' as const, basis: '2 runs.' };

  it('keeps what uncapped runs measured, bounded by the NIC', () => {
    expect(linkWithNic(measured, false, nic)).toMatchObject({ value: 100e6, low: 90e6, high: n, source: 'history' });
  });

  it('takes the NIC as the upper end (and 90 % of it as likely) when the runs only say "at least"', () => {
    expect(linkWithNic({ ...measured, value: 8e6, low: 8e6, high: 32e6 }, true, nic)).toMatchObject({ value: 0.9 * n, low: 8e6, high: n, source: 'link' });
  });

  it('without runs: 50-100 % of the NIC, likely 90 %', () => {
    expect(linkWithNic(undefined, false, nic)).toMatchObject({ value: 0.9 * n, low: 0.5 * n, high: n, source: 'link' });
  });
});
