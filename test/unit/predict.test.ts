import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrationOptions } from '../../shared/migration/options';
import { DEFAULT_MAX_DOWNTIME_MS, DEVICE_STATE_MS, MiB, predict, simulatePrecopy, smallestChanges, type SimParams } from '../../shared/migration/predict';
import { predictionSchema, type Estimate, type PredictedOutcome, type PredictionInputs } from '../../shared/migration/predict-schema';

const est = (value: number, low = value, high = value): Estimate => ({ value, low, high, source: 'history', basis: 'earlier runs' });

/**
 * A plain guest for the hand-computed cases: 10 MiB/s cap on a 100 MiB/s link, 300 ms max downtime, so the threshold
 * is 10 x 0.3 = 3 MiB and QEMU looks at what is left after every 1 MiB (100 ms at the cap).
 */
const plain: SimParams = {
  firstPassBytes: 100 * MiB,
  workingSetBytes: 50 * MiB,
  writeBytesPerSecond: 0,
  bandwidthBytesPerSecond: 10 * MiB,
  linkBytesPerSecond: 100 * MiB,
  capped: true,
  maxDowntimeMs: 300,
  setupMs: 0,
};

/**
 * vmd as the lab measured it: 256 MiB guest whose first pass sent ~101.6 MiB of non-zero pages (25,880 normal
 * pages), a 20 MiB hot set, setup ~1 s; the write speed is what the tests vary.
 */
function vmd(write: Estimate, link: Estimate = est(200 * MiB, 150 * MiB, 300 * MiB)): PredictionInputs {
  return {
    vm: 'vmd',
    firstPassBytes: est(102 * MiB, 100 * MiB, 104 * MiB),
    workingSetBytes: est(20 * MiB, 19 * MiB, 22 * MiB),
    writeBytesPerSecond: write,
    linkBytesPerSecond: link,
    setupMs: est(1000, 800, 1200),
    basisRunIds: ['run-1'],
    notes: [],
  };
}
const MiBps = (v: number, lo = v, hi = v) => est(v * MiB, lo * MiB, hi * MiB);

function predicted(inputs: PredictionInputs, options: MigrationOptions) {
  const p = predict(inputs, options);
  expect(predictionSchema.safeParse(p).success).toBe(true);
  if (p.kind !== 'predicted') throw new Error(`expected a prediction, got: ${p.message}`);
  return p;
}

function expectRangesContainValue(o: PredictedOutcome) {
  for (const r of [o.totalTimeMs, o.downtimeMs, o.passes, o.dataBytes]) {
    if (!r) continue;
    expect(r.low).toBeLessThanOrEqual(r.value);
    expect(r.value).toBeLessThanOrEqual(r.high);
  }
}

describe('simulatePrecopy: hand-computed runs', () => {
  it('a guest that never writes takes the first pass at the bandwidth, plus setup and the device state', () => {
    const r = simulatePrecopy({ ...plain, setupMs: 1000 });
    // Pass 1 sends 1 MiB chunks until less than 3 MiB is left: 98 chunks, 2 MiB left; nothing was dirtied, so the
    // guest stops and the 2 MiB go at the link's 100 MiB/s (the cap is lifted for the final stage).
    const downtime = (2 / 100) * 1000 + DEVICE_STATE_MS;
    expect(r.converged).toBe(true);
    expect(r.ending).toBe('pre-copy');
    expect(r.passes).toBe(1);
    expect(r.downtimeMs).toBeCloseTo(downtime, 6);
    expect(r.totalMs).toBeCloseTo(1000 + (98 / 10) * 1000 + downtime, 6);
    expect(r.dataBytes).toBeCloseTo(100 * MiB, 0);
  });

  it('with no faster link, that is firstPass / bandwidth + setup + device state exactly', () => {
    const r = simulatePrecopy({ ...plain, setupMs: 1000, capped: false, linkBytesPerSecond: 10 * MiB });
    expect(r.totalMs).toBeCloseTo(1000 + (100 / 10) * 1000 + DEVICE_STATE_MS, 6);
  });

  it('a working set written well below the bandwidth converges in 4 passes (counted by hand)', () => {
    const r = simulatePrecopy({ ...plain, writeBytesPerSecond: 2 * MiB });
    // Pass 1: 98 MiB in 9.8 s, 2 MiB left. Written: 2 MiB/s x 9.8 s = 19.6 MiB; the leftover (2 of the 100 MiB the
    //   pass draws from) overlaps it by 2 x 19.6 / 100 = 0.392 MiB: pending 2 + 19.6 - 0.392 = 21.208 MiB.
    // Pass 2: 19 chunks (21.208 - 19 = 2.208 < 3) in 1.9 s; written 3.8 MiB, overlap 2.208 x 3.8 / 50 = 0.167808:
    //   pending 2.208 + 3.8 - 0.167808 = 5.840192 MiB.
    // Pass 3: 3 chunks in 0.3 s, 2.840192 left; written 0.6, overlap 2.840192 x 0.6 / 50 = 0.03408230:
    //   pending 2.840192 + 0.6 - 0.0340823 = 3.4061097 MiB, still >= 3.
    // Pass 4: 1 chunk in 0.1 s, 2.4061097 left; written 0.2, overlap 2.4061097 x 0.2 / 50 = 0.0096244:
    //   pending 2.5964853 MiB < 3: the guest stops; 2.5964853 MiB at 100 MiB/s.
    const passes = [98, 19, 3, 1];
    const last = 2.4061097 + 0.2 - 0.0096244;
    expect(r.passes).toBe(4);
    expect(r.log.map((l) => l.sentBytes / MiB)).toEqual(passes.map((p) => expect.closeTo(p, 6)));
    expect(r.finalBytes / MiB).toBeCloseTo(last, 5);
    expect(r.downtimeMs).toBeCloseTo((last / 100) * 1000 + DEVICE_STATE_MS, 3);
    expect(r.totalMs).toBeCloseTo((98 + 19 + 3 + 1) * 100 + (last / 100) * 1000 + DEVICE_STATE_MS, 3);
    expect(r.dataBytes / MiB).toBeCloseTo(98 + 19 + 3 + 1 + last, 5);
  });

  it.each([15, 20, 40])('a guest writing %i MiB/s (>= 1.5 x the bandwidth) over a 50 MiB working set never converges', (w) => {
    // After pass 1 the whole 50 MiB (> 3 MiB threshold) is pending; each pass re-sends it for 4.7 s, in which the
    // guest rewrites all of it: pending stays at the working set.
    const r = simulatePrecopy({ ...plain, writeBytesPerSecond: w * MiB });
    expect(r.converged).toBe(false);
    expect(r.ending).toBe('never');
    expect(r.log.at(-1)?.startBytes).toBeCloseTo(50 * MiB, 0);
    // A run that never ends reports its first minute: 60 s x 10 MiB/s.
    expect(r.dataBytes / MiB).toBeCloseTo(60 * 10, 3);
  });

  it('the same guest converges once the working set fits in the max downtime', () => {
    // 2.5 MiB < the 3 MiB threshold: the pass after the bulk one leaves what fits.
    const r = simulatePrecopy({ ...plain, writeBytesPerSecond: 40 * MiB, workingSetBytes: 2.5 * MiB });
    expect(r.converged).toBe(true);
    expect(r.passes).toBeLessThanOrEqual(2);
  });

  it('post-copy after pre-copy switches after pass 1 and moves the rest at the link', () => {
    const r = simulatePrecopy({ ...plain, writeBytesPerSecond: 20 * MiB, postcopyAfterPrecopy: true });
    // Pass 1: 98 MiB in 9.8 s; written min(50, 20 x 9.8) = 50 MiB, overlap 2 x 50 / 100 = 1: pending 51 MiB,
    // pulled at the link's 100 MiB/s after a pause of the device state.
    expect(r.ending).toBe('post-copy');
    expect(r.downtimeMs).toBe(DEVICE_STATE_MS);
    expect(r.totalMs).toBeCloseTo(9800 + DEVICE_STATE_MS + (51 / 100) * 1000, 6);
    const capped = simulatePrecopy({ ...plain, writeBytesPerSecond: 20 * MiB, postcopyAfterPrecopy: true, postcopyBytesPerSecond: 17 * MiB });
    expect(capped.totalMs).toBeCloseTo(9800 + DEVICE_STATE_MS + (51 / 17) * 1000, 6);
  });
});

describe('--timeout', () => {
  // The never-converging guest above (20 MiB/s over 50 MiB at 10 MiB/s): pass 1 98 MiB in 9.8 s, leaving
  // 2 + 50 - 2 x 50 / 100 = 51 MiB; pass 2 49 MiB in 4.9 s; then every pass re-sends 48 MiB in 4.8 s with 50 MiB
  // pending after each: passes start at 0, 9.8, 14.7, 19.5, 24.3, 29.1 s. The 30 s timeout fires 0.9 s into pass 6:
  // 9 MiB sent of its 50, 41 unsent; 20 x 0.9 = 18 MiB written, overlapping 41 x 18 / 50 = 14.76: 44.24 MiB pending.
  const never: SimParams = { ...plain, writeBytesPerSecond: 20 * MiB };
  const atTimeout = 41 + 18 - 14.76;

  it('suspend: the guest pauses and the rest goes without new writes, all of it downtime', () => {
    const r = simulatePrecopy({ ...never, timeout: { seconds: 30, action: 'suspend' } });
    // Paused, QEMU still sends 1 MiB chunks at the cap until less than 3 MiB is left (42 chunks, 2.24 MiB), then
    // the rest at the 100 MiB/s link.
    const downtime = (42 / 10) * 1000 + (2.24 / 100) * 1000 + DEVICE_STATE_MS;
    expect(r.stop).toBe('timeout-suspend');
    expect(r.passes).toBe(6);
    expect(r.finalBytes / MiB).toBeCloseTo(atTimeout, 6);
    expect(r.downtimeMs).toBeCloseTo(downtime, 4);
    expect(r.totalMs).toBeCloseTo(30000 + downtime, 4);
  });

  it('postcopy: the switch comes at the timeout and the rest moves at the link', () => {
    const r = simulatePrecopy({ ...never, timeout: { seconds: 30, action: 'postcopy' } });
    expect(r.stop).toBe('timeout-postcopy');
    expect(r.ending).toBe('post-copy');
    expect(r.downtimeMs).toBe(DEVICE_STATE_MS);
    expect(r.totalMs).toBeCloseTo(30000 + DEVICE_STATE_MS + (atTimeout / 100) * 1000, 4);
  });

  it('predict says the timeout pauses the guest, and still offers what avoids it', () => {
    const p = predicted(vmd(MiBps(30, 25, 35)), { live: true, bandwidthMiBps: 8, timeoutSec: 30 });
    expect(p.outcome.ending).toBe('pre-copy');
    expect(p.outcome.downtimeMs?.value).toBeGreaterThan(1000);
    expect(p.sentence).toMatch(/^The --timeout pauses the guest after 30 s and the copy finishes with it paused: done in about 3\d s/);
    const cap = p.changes[0]?.change.bandwidthMiBps ?? 0;
    expect(cap).toBeGreaterThan(16);
    expect(p.changes[0]?.outcome.downtimeMs?.high).toBeLessThan(300);
  });
});

describe('auto-converge as QEMU 7.2 throttles', () => {
  const ac = { initialPercent: 20, incrementPercent: 10 };

  it('throttles 20 % at pass 4, +10 every second counting pass, at most 99 %, then converges', () => {
    // vmd at 8 MiB/s writing 200 MiB/s: every pass (2.5 s, > the 1 s period) re-sends the 20 MiB it dirtied, more
    // than 50 % of what it sent. Pass 1 does not count (20 MiB dirtied of 100 sent); the syncs ending passes 2 and 3
    // count, so pass 4 runs at 20 %; then every second pass: 6 -> 30, 8 -> 40, ... 18 -> 90, 20 -> min(100, 99).
    const r = simulatePrecopy({
      firstPassBytes: 100 * MiB, workingSetBytes: 20 * MiB, writeBytesPerSecond: 200 * MiB, bandwidthBytesPerSecond: 8 * MiB,
      linkBytesPerSecond: 200 * MiB, capped: true, maxDowntimeMs: 300, setupMs: 1000, autoConverge: ac,
    });
    const throttleAt = (pass: number) => r.log[pass - 1]?.throttlePercent;
    expect([1, 2, 3].map(throttleAt)).toEqual([0, 0, 0]);
    expect([4, 5, 6, 7, 8, 18, 19].map(throttleAt)).toEqual([20, 20, 30, 30, 40, 90, 90]);
    expect(throttleAt(20)).toBe(99);
    expect(Math.max(...r.log.map((l) => l.throttlePercent))).toBe(99);
    // At 90 % it still writes 20 MiB/s (> 8): only 99 % (2 MiB/s) lets it converge, after pass 20.
    expect(r.converged).toBe(true);
    expect(r.ending).toBe('auto-converge');
    expect(r.passes).toBeGreaterThan(20);
    expect(r.throttlePercent).toBe(99);
  });

  it('stops raising the throttle once the throttled write speed is low enough', () => {
    // 30 MiB/s at 8 MiB/s: the steady state converges when w x (1 - t) < 8 / (1 - 0.8 / 20) = 8.7 MiB/s (see the
    // lab test below): 30 x 0.3 = 9 is not enough, 30 x 0.2 = 6 is: it ends at 80 % (reached at pass 16), or at
    // 90 % if the 80 % pass does not drain the backlog before the next step.
    const r = simulatePrecopy({
      firstPassBytes: 100 * MiB, workingSetBytes: 20 * MiB, writeBytesPerSecond: 30 * MiB, bandwidthBytesPerSecond: 8 * MiB,
      linkBytesPerSecond: 200 * MiB, capped: true, maxDowntimeMs: 300, setupMs: 1000, autoConverge: ac,
    });
    expect(r.converged).toBe(true);
    expect(r.passes).toBeGreaterThanOrEqual(16);
    expect([80, 90]).toContain(r.throttlePercent);
  });

  it('uses the initial and increment from the options', () => {
    const r = simulatePrecopy({
      firstPassBytes: 100 * MiB, workingSetBytes: 20 * MiB, writeBytesPerSecond: 2000 * MiB, bandwidthBytesPerSecond: 8 * MiB,
      capped: true, maxDowntimeMs: 300, setupMs: 0, autoConverge: { initialPercent: 50, incrementPercent: 25 },
    });
    expect([4, 6, 8].map((p) => r.log[p - 1]?.throttlePercent)).toEqual([50, 75, 99]);
  });
});

describe('the lab vmd cells', () => {
  // In the steady state a pass sends one chunk c = B x 0.1 s while the guest writes w x 0.1 s of the working set W
  // (20 MiB); pending P settles where the fresh pages equal the chunk: (w / B) x c x (1 - (P - c) / W) = c, i.e.
  // P = c + W x (1 - B / w). It converges iff P < the threshold B x 0.3 s:
  //   8 MiB/s  fails iff w > 8  / (1 - 1.6 / 20) =  8.7 MiB/s
  //   16 MiB/s fails iff w > 16 / (1 - 3.2 / 20) = 19.05 MiB/s
  //   32 MiB/s converges iff w < 32 / (1 - 6.4 / 20) = 47.06 MiB/s
  // so the lab (8 no, 16 no, 32 yes) says the guest writes 19-47 MiB/s while it writes.
  const options = (bandwidthMiBps: number): MigrationOptions => ({ live: true, bandwidthMiBps });

  it('a write speed inside the range reproduces 8 no, 16 no, 32 yes in ~6 s', () => {
    const inputs = vmd(MiBps(30, 25, 35));
    expect(predicted(inputs, options(8)).outcome.converges).toBe('no');
    expect(predicted(inputs, options(16)).outcome.converges).toBe('no');
    const at32 = predicted(inputs, options(32));
    expect(at32.outcome.converges).toBe('yes');
    expect(at32.outcome.ending).toBe('pre-copy');
    // 1 s setup + 102 MiB / 32 MiB/s = 4.2 s, then a few short passes; the lab took 6.7 s.
    expect(at32.outcome.totalTimeMs?.value).toBeGreaterThan(4500);
    expect(at32.outcome.totalTimeMs?.value).toBeLessThan(7500);
    expect(at32.outcome.downtimeMs?.value).toBeLessThan(DEFAULT_MAX_DOWNTIME_MS);
    expect(at32.sentence).toMatch(/^Converges in about 5\.\d s \(\d\.\d-\d\.\d s\), downtime about \d+ ms: .*32 MiB\/s moves 9\.6 MiB within 300 ms\.$/);
    expect(at32.changes).toEqual([]);
  });

  it('write speeds just outside the range get a cell wrong (the bounds are real)', () => {
    expect(predicted(vmd(MiBps(18)), options(16)).outcome.converges).toBe('yes');
    expect(predicted(vmd(MiBps(20)), options(16)).outcome.converges).toBe('no');
    expect(predicted(vmd(MiBps(45)), options(32)).outcome.converges).toBe('yes');
    expect(predicted(vmd(MiBps(49)), options(32)).outcome.converges).toBe('no');
  });

  it('the smallest cap it names for vmd at 8 MiB/s converges across the range, one MiB/s less does not', () => {
    const inputs = vmd(MiBps(30, 25, 35));
    const p = predicted(inputs, options(8));
    const cap = p.changes[0]?.change.bandwidthMiBps;
    expect(cap).toBeDefined();
    if (cap === undefined) return;
    expect(cap).toBeGreaterThan(16);
    expect(cap).toBeLessThanOrEqual(150);
    expect(predicted(inputs, options(cap)).outcome.converges).toBe('yes');
    expect(predicted(inputs, options(cap - 1)).outcome.converges).not.toBe('yes');
    expect(p.changes[0]?.outcome.converges).toBe('yes');
    expect(p.changes[0]?.label).toMatch(new RegExp(`^At ${cap} MiB/s: about .* s.*, downtime about \\d+ ms \\(under 300 ms\\)\\.$`));
    expect(smallestChanges(inputs, options(8))).toEqual(p.changes);
  });

  it('offers no cap the link cannot carry, and says so', () => {
    const p = predicted(vmd(MiBps(30, 25, 35), MiBps(20, 20, 25)), options(8));
    expect(p.changes.some((c) => c.change.bandwidthMiBps !== undefined)).toBe(false);
    expect(p.sentence).toContain('No bandwidth the link can carry (up to 20 MiB/s) makes it converge.');
  });

  it('offers the changes cheapest first: cap, max downtime, auto-converge, post-copy', () => {
    const p = predicted(vmd(MiBps(30, 10, 35)), options(16));
    expect(p.outcome.converges).toBe('uncertain');
    const kinds = p.changes.map((c) => Object.keys(c.change).sort().join('+'));
    expect(kinds).toEqual(['bandwidthMiBps', 'maxDowntimeMs', 'autoConverge', 'postcopy+postcopyAfterPrecopy']);
    for (const c of p.changes) expect(c.outcome.converges).not.toBe('no');
    const down = p.changes[1]?.change.maxDowntimeMs ?? 0;
    expect(down).toBeGreaterThan(300);
    expect(down).toBeLessThanOrEqual(2000);
    expect(predicted(vmd(MiBps(30, 10, 35)), { ...options(16), maxDowntimeMs: down }).outcome.converges).toBe('yes');
    expect(p.changes[3]?.label).toContain('if the network fails during post-copy the guest is lost');
  });

  it('offers no post-copy that libvirt would refuse with the other options (parallel connections)', () => {
    const p = predicted(vmd(MiBps(30, 10, 35)), { ...options(16), parallel: true });
    expect(p.changes.map((c) => Object.keys(c.change).sort().join('+'))).toEqual(['bandwidthMiBps', 'maxDowntimeMs', 'autoConverge']);
  });

  it('auto-converge on vmd at 8 MiB/s converges with the throttle it names', () => {
    const p = predicted(vmd(MiBps(30, 25, 35)), { ...options(8), autoConverge: true });
    expect(p.outcome.converges).toBe('yes');
    expect(p.outcome.ending).toBe('auto-converge');
    expect(p.outcome.throttlePercent).toBeGreaterThanOrEqual(80);
    expect(p.sentence).toMatch(/^Converges with auto-converge \(throttle up to \d+ %\) in about \d+ s/);
  });
});

describe('predict', () => {
  it('without --live the guest is paused for the whole copy: the downtime is the total', () => {
    // libvirt pauses the guest first, so nothing is dirtied. 1 s setup; 3.2 MiB chunks (100 ms at 32 MiB/s) until less
    // than the 9.6 MiB threshold is left: 29 chunks = 92.8 MiB, 9.2 MiB left, sent at the 200 MiB/s link; + device state.
    const p = predicted(vmd(MiBps(30)), { bandwidthMiBps: 32 });
    const total = 1000 + (92.8 / 32) * 1000 + (9.2 / 200) * 1000 + DEVICE_STATE_MS;
    expect(p.outcome.converges).toBe('yes');
    expect(p.outcome.passes?.value).toBe(1);
    expect(p.outcome.downtimeMs?.value).toBeCloseTo(total, 6);
    expect(p.outcome.totalTimeMs?.value).toBeCloseTo(total, 6);
    expect(p.sentence).toMatch(/^Not live: the guest is paused for the whole copy, about 4 s \(/);
    expect(p.changes).toEqual([]);
  });

  it('an offline migration copies no memory and needs no inputs', () => {
    const p = predicted({ vm: 'vmd', basisRunIds: [], notes: [] }, { offline: true, persistent: true });
    expect(p.outcome).toEqual({ converges: 'yes', ending: 'pre-copy', downtimeMs: { value: 0, low: 0, high: 0 }, passes: { value: 0, low: 0, high: 0 }, dataBytes: { value: 0, low: 0, high: 0 } });
  });

  it('cannot predict without history, naming what is missing', () => {
    const p = predict({ vm: 'vmd', basisRunIds: [], notes: [] }, { live: true });
    expect(p).toEqual({
      kind: 'cannot-predict',
      missing: ['workingSetBytes', 'writeBytesPerSecond', 'firstPassBytes', 'linkBytesPerSecond'],
      message: 'Cannot predict: no history for vmd; run a trial pre-copy or migrate it once; and the link speed is not known; set a bandwidth cap or run the path check.',
    });
  });

  it('a cap stands in for an unknown link; an input whose source is unknown counts as missing', () => {
    const inputs = { ...vmd(MiBps(30)), linkBytesPerSecond: { ...est(0), source: 'unknown' as const } };
    expect(predict(inputs, { live: true, bandwidthMiBps: 32 }).kind).toBe('predicted');
    const noLink = predict(inputs, { live: true });
    expect(noLink.kind === 'cannot-predict' && noLink.missing).toEqual(['linkBytesPerSecond']);
    const { writeBytesPerSecond: _drop, ...rest } = vmd(MiBps(30));
    const noWrite = predict(rest, { live: true, bandwidthMiBps: 32 });
    expect(noWrite.kind === 'cannot-predict' && noWrite.missing).toEqual(['writeBytesPerSecond']);
    expect(noWrite.kind === 'cannot-predict' && noWrite.message).toBe("Cannot predict: the history of vmd does not tell the guest's write speed; run a trial pre-copy.");
    // Another VM's runs on the route tell the link only: this VM has no history of its own.
    const onlyRoute = predict({ vm: 'g2', basisRunIds: ['m-other'], notes: [], linkBytesPerSecond: MiBps(100) }, { live: true });
    expect(onlyRoute.kind === 'cannot-predict' && onlyRoute.message).toBe('Cannot predict: no history for g2; run a trial pre-copy or migrate it once.');
  });

  it('every range contains its point value', () => {
    for (const [write, opts] of [
      [MiBps(30, 25, 35), { live: true, bandwidthMiBps: 32 }],
      [MiBps(30, 10, 35), { live: true, bandwidthMiBps: 16 }],
      [MiBps(30, 25, 35), { live: true, bandwidthMiBps: 8 }],
      [MiBps(30, 25, 35), { live: true, bandwidthMiBps: 8, autoConverge: true }],
      [MiBps(30, 25, 35), { live: true }],
    ] as const) {
      const p = predicted(vmd(write), opts);
      expectRangesContainValue(p.outcome);
      for (const c of p.changes) expectRangesContainValue(c.outcome);
    }
  });

  it('calls it uncertain when the corners disagree, and names the deciding input', () => {
    const p = predicted(vmd(MiBps(30, 10, 35)), { live: true, bandwidthMiBps: 16 });
    expect(p.outcome.converges).toBe('uncertain');
    expect(p.sentence).toMatch(/^May not converge, it depends on the guest's write speed \(10-35 MiB\/s\); at the likeliest values it does not converge: /);
    // The same inputs with a narrow write speed agree at every corner.
    expect(predicted(vmd(MiBps(30, 29, 31)), { live: true, bandwidthMiBps: 16 }).outcome.converges).toBe('no');
  });

  it('does not converge: the sentence gives the numbers, the first minute gives the data', () => {
    const p = predicted(vmd(MiBps(30)), { live: true, bandwidthMiBps: 8 });
    expect(p.outcome.ending).toBe('never');
    expect(p.outcome.totalTimeMs).toBeUndefined();
    expect(p.sentence).toBe('Does not converge: each pass re-sends ~20 MiB (the guest keeps a 20 MiB working set, written at 30 MiB/s); 8 MiB/s moves 2.4 MiB within 300 ms.');
    // 1 s of setup, then 59 s at 8 MiB/s.
    expect((p.outcome.dataBytes?.value ?? 0) / MiB).toBeCloseTo(59 * 8, 0);
  });
});

describe("against the lab's journaled vmd runs at 8 MiB/s", () => {
  interface Info { readonly iteration?: number; readonly timeElapsedMs?: number; readonly memoryProcessedBytes?: number; readonly autoConvergeThrottlePercent?: number }
  const load = (name: string): Info[] =>
    (JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'migration-runs', `${name}.json`), 'utf8')) as { samples: { info?: Info }[] }).samples
      .map((s) => s.info ?? {})
      .filter((i) => i.iteration !== undefined);
  const first = (run: Info[], pass: number) => run.find((i) => i.iteration === pass);

  // The inputs as the plain run shows them: ~1 s setup; pass 1 had sent 100.3 MiB a second before pass 2 began, so
  // ~104 MiB. Each later pass re-sent (processed at pass 13 - at pass 2) / 11 passes; the working set is that plus
  // the ~2 MiB leftover each pass leaves below the 2.4 MiB threshold (what is pending right after a sync).
  const plain = load('plain-8-abort');
  const processed = (pass: number) => first(plain, pass)?.memoryProcessedBytes ?? NaN;
  const perPass = (processed(13) - processed(2)) / 11;
  const workingSet = perPass + 2 * MiB;
  const vmdAt8 = (autoConverge?: SimParams['autoConverge']): SimParams => ({
    firstPassBytes: 104 * MiB, workingSetBytes: workingSet, writeBytesPerSecond: 30 * MiB, bandwidthBytesPerSecond: 8 * MiB,
    linkBytesPerSecond: 200 * MiB, capped: true, maxDowntimeMs: 300, setupMs: 1000, ...(autoConverge ? { autoConverge } : {}),
  });

  it('keeps pace with the plain run: each pass starts when the lab saw it start, and it never converges', () => {
    expect(perPass / MiB).toBeGreaterThan(20);
    expect(perPass / MiB).toBeLessThan(25);
    const r = simulatePrecopy(vmdAt8());
    expect(r.converged).toBe(false);
    // Ferry samples once a second, so the lab saw each pass within a second after it began; 1 s of slack either way
    // (a working set 10 % off drifts ~3 s by pass 13).
    let t = 1000;
    for (const l of r.log.slice(0, 13)) {
      const seenAt = first(plain, l.pass)?.timeElapsedMs ?? NaN;
      if (l.pass > 1) {
        expect({ pass: l.pass, early: t < seenAt - 2000, late: t > seenAt + 1000 }).toEqual({ pass: l.pass, early: false, late: false });
      }
      t += l.seconds * 1000;
    }
    expect(plain.at(-1)?.iteration).toBe(13);
  });

  it('throttles at the same passes as the auto-converge run, for as long as it runs', () => {
    const lab = load('autoconverge-8');
    const r = simulatePrecopy(vmdAt8({ initialPercent: 20, incrementPercent: 10 }));
    expect(r.converged).toBe(true);
    // Up to pass 19: the model's guest, writing steadily, dirties less than half of what a pass sends once throttled to
    // 90 % (30 MiB/s x 10 % = 3 MiB/s), so its count stops there; the lab's bursty guest stayed pinned up to 99 %.
    let compared = 0;
    for (const l of r.log.slice(0, 19)) {
      const seen = first(lab, l.pass);
      if (!seen) continue;
      expect({ pass: l.pass, throttle: l.throttlePercent }).toEqual({ pass: l.pass, throttle: seen.autoConvergeThrottlePercent ?? 0 });
      compared++;
    }
    // Passes 1 to 16 at least (20 % at 4, 30 at 6 ... 80 at 16); the lab then stayed pinned up to 99 % (see predict.ts).
    expect(compared).toBeGreaterThanOrEqual(16);
  });
});
