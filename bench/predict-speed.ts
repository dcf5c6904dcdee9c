/**
 * How long the prediction takes (shared/migration/predict.ts), which the migrate dialog runs for the options on
 * screen and for every built-in profile on each field change. Cases: the built-in profiles, plus the plain options
 * on screen (no cap; 8 and 16 MiB/s), each over four guests: vmd as the lab measured it (converging, never, uncertain: the
 * write speed's range straddles the line) and a busy 16 GiB guest. A call for a run that does not converge also
 * searches the smallest changes, so those are the slow cases.
 * Same-run baseline: one simulatePrecopy at the point values of the same case (the unit of work a call repeats).
 * Goal: one keystroke (every option set of a guest, summed) well under 50 ms.
 * Run: npm run bench:predict-speed. Writes bench/results/predict-speed.txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { BUILT_IN_PROFILES, type MigrationOptions } from '../shared/migration/options';
import { MiB, predict, simulatePrecopy } from '../shared/migration/predict';
import type { Estimate, PredictionInputs } from '../shared/migration/predict-schema';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 200);
const GOAL_MS = 50;

const est = (value: number, low = value, high = value): Estimate => ({ value, low, high, source: 'history', basis: 'bench' });
const vmd = (w: number, lo: number, hi: number): PredictionInputs => ({
  vm: 'vmd',
  firstPassBytes: est(102 * MiB, 100 * MiB, 104 * MiB),
  workingSetBytes: est(20 * MiB, 19 * MiB, 22 * MiB),
  writeBytesPerSecond: est(w * MiB, lo * MiB, hi * MiB),
  linkBytesPerSecond: est(200 * MiB, 150 * MiB, 300 * MiB),
  setupMs: est(1000, 800, 1200),
  basisRunIds: ['bench'],
  notes: [],
});
const GUESTS: Record<string, PredictionInputs> = {
  'vmd 30 MiB/s': vmd(30, 25, 35),
  'vmd 10-35 MiB/s': vmd(30, 10, 35),
  'vmd 200 MiB/s': vmd(200, 150, 250),
  'busy 16 GiB': {
    vm: 'db',
    firstPassBytes: est(12 * 1024 * MiB, 10 * 1024 * MiB, 14 * 1024 * MiB),
    workingSetBytes: est(3 * 1024 * MiB, 2 * 1024 * MiB, 4 * 1024 * MiB),
    writeBytesPerSecond: est(400 * MiB, 250 * MiB, 600 * MiB),
    linkBytesPerSecond: est(1100 * MiB, 900 * MiB, 1180 * MiB),
    basisRunIds: ['bench'],
    notes: [],
  },
};
const OPTION_SETS: Record<string, MigrationOptions> = {
  'on screen: plain': { live: true },
  'on screen: 8 MiB/s': { live: true, bandwidthMiBps: 8 },
  'on screen: 16 MiB/s': { live: true, bandwidthMiBps: 16 },
  ...Object.fromEntries(BUILT_IN_PROFILES.map((p) => [`profile: ${p.name}`, p.options])),
};

function time(f: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

// Warm up the JIT on every case first, so the first case is not charged for it.
for (const g of Object.values(GUESTS)) for (const o of Object.values(OPTION_SETS)) for (let i = 0; i < 20; i++) predict(g, o);

const lines: string[] = [];
const say = (s: string) => {
  lines.push(s);
  console.log(s);
};
say(`predict() speed, ${new Date().toISOString()}`);
say(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}; load average ${loadavg()[0]?.toFixed(1)} (other work shares the cores); ${ROUNDS} rounds per case`);
say('');
say(`  ${'guest'.padEnd(18)}${'options'.padEnd(24)}${'call'.padEnd(12)}${'median ms'.padStart(10)}${'p95 ms'.padStart(9)}${'max ms'.padStart(9)}${'sim ms'.padStart(9)}${'x sim'.padStart(8)}`);
const keystroke: Record<string, number> = {};
for (const [gName, g] of Object.entries(GUESTS)) {
  keystroke[gName] = 0;
  for (const [oName, o] of Object.entries(OPTION_SETS)) {
    const result = predict(g, o);
    const call = result.kind === 'predicted' ? result.outcome.converges : 'cannot';
    const t = time(() => predict(g, o));
    const sim = time(() => simulatePrecopy({
      firstPassBytes: g.firstPassBytes?.value ?? 0,
      workingSetBytes: g.workingSetBytes?.value ?? 0,
      writeBytesPerSecond: g.writeBytesPerSecond?.value ?? 0,
      bandwidthBytesPerSecond: Math.min((o.bandwidthMiBps ?? Infinity) * MiB, g.linkBytesPerSecond?.value ?? Infinity),
      capped: o.bandwidthMiBps !== undefined,
      maxDowntimeMs: 300,
      setupMs: 1000,
    }));
    keystroke[gName] += q(t, 0.5);
    say(`  ${gName.padEnd(18)}${oName.padEnd(24)}${call.padEnd(12)}${q(t, 0.5).toFixed(3).padStart(10)}${q(t, 0.95).toFixed(3).padStart(9)}${(t.at(-1) ?? 0).toFixed(3).padStart(9)}${q(sim, 0.5).toFixed(4).padStart(9)}${(q(t, 0.5) / Math.max(q(sim, 0.5), 1e-6)).toFixed(0).padStart(8)}`);
  }
}
say('');
say(`one keystroke (every option set above for one guest, medians summed) against the ${GOAL_MS} ms goal:`);
for (const [gName, ms] of Object.entries(keystroke)) say(`  ${gName.padEnd(18)}${ms.toFixed(2).padStart(8)} ms  x${(ms / GOAL_MS).toFixed(3)} of the goal`);
say('');
say('x sim = the call\'s median over one simulatePrecopy at the point values (the same run): corners, the deciding input and the change searches are what the call adds.');

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/predict-speed.txt', `${lines.join('\n')}\n`);
