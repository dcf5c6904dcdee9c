/**
 * The prediction sweep: does the model (shared/migration/predict.ts, fed by shared/migration/predict-inputs.ts) call
 * real migrations right? Each cell is a real migration of vmd hvA -> hvB through Ferry's MigrationEngine (journal in
 * a temp data dir), with the guest re-created at a hot set / write speed (`lab.sh guest vmd dirty=N rate=R`) and a
 * bandwidth cap; a run not finished after BENCH_JOB_LIMIT_S of job time is aborted and counts as not converged.
 * Then, per cell, the model predicts it from the journal records of the OTHER cells only (leave-one-out; by default
 * the other cells of the same guest setting, which is what the VM's own history would be), and the table sets
 * predicted against measured. For the heaviest cell, the run with libvirt's defaults (the cell itself) is set
 * against a run with the option set the model recommends.
 *
 * Needs the lab, as root, and holds the lab lock for the whole sweep:
 *   npm run bench:predict                        (= flock /var/tmp/ferry-lab.lock node --import tsx bench/predict.ts)
 * Env: BENCH_CELLS   unset: the full sweep (3 guest settings x 3 caps); `small`: one quick cell; or ids such as
 *                    `d8r2@32,d20@16` (d<hot set MiB>[r<write MiB/s>]@<cap MiB/s>; no r = the canonical loop)
 *      BENCH_JOB_LIMIT_S  job time after which a cell is aborted (90)
 *      BENCH_LOO     `same-guest` (default) or `all`: which other cells a prediction may learn from
 *      BENCH_REMEDY  0: do not run the heaviest cell again with the model's remedy
 *      BENCH_FROM    a saved prediction-sweep.json: no lab, the predictions are recomputed from its recorded runs
 *                    (node --import tsx bench/predict.ts, no flock needed; with BENCH_SAVE=1 the .txt and the derived
 *                    figures in the .json are replaced, the recorded runs are kept)
 *      BENCH_HISTORY a saved prediction-sweep.json whose runs the predictions may also learn from: e.g. the heaviest
 *                    cell alone with the model's remedy, BENCH_CELLS=d40r12@8 BENCH_HISTORY=bench/results/prediction-sweep.json
 *      BENCH_SAVE    1: save the results also for a partial cell list (the full sweep always saves)
 * Writes bench/results/prediction-sweep.{txt,json}.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationRecord } from '../electron/main/migration/record';
import type { GuestSettings } from '../test/lab/lab';
import { labInfo, virsh, vmReset } from '../test/lab/lab';
import { openLabEngine } from '../test/integration/lab-engine';
import { cellOptions, makeCell, measure, runPredictionCell, type CellMeasurement, type PredictionCell } from '../test/lab/prediction-cell';
import { predictCell, type CellPredictionResult } from './predict-join';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'results');
const MiB = 1024 * 1024;

const GUESTS: readonly GuestSettings[] = [
  { dirtyMiB: 8, rateMiBps: 2 }, // light: a small hot set written slowly
  { dirtyMiB: 20 }, // the canonical vmd: 20 MiB rewritten in a burst, then 1 s of sleep
  { dirtyMiB: 40, rateMiBps: 12 }, // heavy: a large hot set written fast
];
const CAPS: readonly number[] = [8, 16, 32];
const SMALL = 'd8r2@32';

function parseCell(id: string): PredictionCell {
  const m = /^d(\d+)(?:r(\d+))?@(\d+)$/.exec(id.trim());
  if (!m) throw new Error(`BENCH_CELLS: '${id}' is not d<MiB>[r<MiB/s>]@<cap>`);
  const guest: GuestSettings = m[2] === undefined ? { dirtyMiB: Number(m[1]) } : { dirtyMiB: Number(m[1]), rateMiBps: Number(m[2]) };
  return makeCell(guest, Number(m[3]));
}

function cellsFromEnv(v: string | undefined): PredictionCell[] {
  if (v === undefined || v === '' || v === 'full') return GUESTS.flatMap((g) => CAPS.map((c) => makeCell(g, c)));
  if (v === 'small') return [parseCell(SMALL)];
  return v.split(',').map(parseCell);
}

interface MeasuredCell {
  readonly measurement: CellMeasurement;
  readonly record: MigrationRecord;
}

interface SweepFile {
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly jobLimitMs: number;
  readonly tools: string;
  readonly cells: readonly MeasuredCell[];
  readonly remedy?: MeasuredCell & { readonly forCell: string };
}

const sameGuest = (a: GuestSettings, b: GuestSettings) => a.dirtyMiB === b.dirtyMiB && a.rateMiBps === b.rateMiBps;

/** The runs a cell's prediction may learn from: never its own. */
function otherRuns(all: readonly MeasuredCell[], cell: CellMeasurement, mode: string): MigrationRecord[] {
  const others = all.filter((c) => c.measurement.recordId !== cell.recordId);
  const same = others.filter((c) => sameGuest(c.measurement.guest, cell.guest));
  return (mode === 'all' || same.length === 0 ? others : same).map((c) => c.record);
}

/** Heaviest: the most written per second of cap (write speed, else QEMU's measured dirty rate), hot set breaking ties. */
function heaviest(cells: readonly MeasuredCell[]): MeasuredCell | undefined {
  const load = (m: CellMeasurement) => (m.guest.rateMiBps ?? m.dirtyRateMiBps ?? 0) / m.capMiBps + m.guest.dirtyMiB / 1e6;
  return [...cells].sort((a, b) => load(b.measurement) - load(a.measurement))[0];
}

const f = (x: number | undefined, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));
const s = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
const mib = (b: number | undefined) => (b === undefined ? '-' : (b / MiB).toFixed(0));
const pad = (x: string, n: number) => x.padStart(n);

function outcome(m: CellMeasurement): string {
  return m.converged
    ? `completed in ${s(m.totalTimeMs)} s, downtime ${m.downtimeMs ?? '-'} ms, ${mib(m.dataBytes)} MiB, ${m.passes ?? '-'} passes`
    : `${m.state}${m.abortedAtMs !== undefined ? ` at ${s(m.abortedAtMs)} s of job time` : ''}, ${mib(m.dataBytes)} MiB sent, ${m.passes ?? '-'} passes`;
}

function optionsText(m: CellMeasurement): string {
  const o = m.options;
  return [`--bandwidth ${o.bandwidthMiBps ?? '-'}`, o.autoConverge ? '--auto-converge' : '', o.maxDowntimeMs ? `max downtime ${o.maxDowntimeMs} ms` : '', o.postcopy ? '--postcopy' : '']
    .filter((x) => x !== '')
    .join(' ');
}

async function report(file: SweepFile, loo: string, history: readonly MeasuredCell[]): Promise<string> {
  const lines: string[] = [];
  lines.push(`prediction sweep: vmd hvA -> hvB through Ferry's MigrationEngine, ${file.cells.length} cells, job time bound ${file.jobLimitMs / 1000} s`);
  lines.push(`date ${file.date}; machine ${file.machine}; load average ${file.loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at start, ${file.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at end`);
  lines.push(`tools: ${file.tools}`);
  lines.push(`predictions: leave-one-out (${loo === 'all' ? 'all other cells' : 'the other cells of the same guest setting'}), never the cell's own run${history.length > 0 ? `; plus ${history.length} recorded runs from BENCH_HISTORY` : ''}`);
  lines.push('');
  lines.push(
    'cell        hotset rate  qemu-dirty cap | measured: conv  time s  down ms  data MiB  passes | predicted: conv       time s  down ms  data MiB | time err',
  );
  const predictions = new Map<string, CellPredictionResult>();
  const errors: number[] = [];
  let wrong = 0;
  let uncertain = 0;
  let predicted = 0;
  let firstNote: string | undefined;
  for (const c of file.cells) {
    const m = c.measurement;
    const p = await predictCell('vmd', otherRuns([...history, ...file.cells], m, loo), m.options);
    predictions.set(m.recordId, p);
    let pred = `${pad(p.kind, 15)} ${pad('-', 8)} ${pad('-', 8)} ${pad('-', 9)}`;
    let err = '-';
    if (p.kind === 'predicted') {
      predicted++;
      const q = p.prediction;
      pred = `${pad(q.converges, 15)} ${pad(s(q.totalTimeMs), 8)} ${pad(f(q.downtimeMs, 0), 8)} ${pad(mib(q.dataBytes), 9)}`;
      if (q.converges === 'uncertain') uncertain++;
      else if ((q.converges === 'yes') !== m.converged) wrong++;
      if (m.converged && q.totalTimeMs !== undefined && m.totalTimeMs) {
        const e = (Math.abs(q.totalTimeMs - m.totalTimeMs) / m.totalTimeMs) * 100;
        errors.push(e);
        err = `${e.toFixed(0)} %`;
      }
    } else firstNote ??= p.message;
    lines.push(
      `${m.id.padEnd(11)} ${pad(String(m.guest.dirtyMiB), 6)} ${pad(m.guest.rateMiBps === undefined ? 'loop' : String(m.guest.rateMiBps), 4)} ${pad(f(m.dirtyRateMiBps), 10)} ${pad(String(m.capMiBps), 3)} |           ${pad(m.converged ? 'yes' : 'no', 4)} ${pad(s(m.totalTimeMs), 7)} ${pad(m.downtimeMs === undefined ? '-' : String(m.downtimeMs), 8)} ${pad(mib(m.dataBytes), 9)} ${pad(String(m.passes ?? '-'), 7)} | ${pred} | ${pad(err, 8)}`,
    );
  }
  lines.push('(hotset MiB; rate MiB/s the guest writes at, `loop` = canonical rewrite + 1 s sleep; qemu-dirty = median of QEMU\'s dirty rate from pass 2 on, MiB/s)');
  lines.push('');
  const sorted = [...errors].sort((a, b) => a - b);
  const med = sorted.length === 0 ? undefined : sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : ((sorted[sorted.length / 2 - 1] ?? 0) + (sorted[sorted.length / 2] ?? 0)) / 2;
  lines.push(`median error: ${med === undefined ? '- (no converging cell predicted)' : `${med.toFixed(0)} %`} (total time, ${errors.length} converging cells)`);
  lines.push(`wrong convergence calls: ${predicted === 0 ? '- (nothing predicted)' : `${wrong} of ${predicted} (uncertain: ${uncertain})`}`);
  if (firstNote !== undefined) lines.push(`not predicted: ${firstNote}`);
  const heavy = heaviest(file.cells);
  if (heavy) {
    lines.push('');
    lines.push(`heaviest cell ${heavy.measurement.id}, libvirt's defaults (${optionsText(heavy.measurement)}): ${outcome(heavy.measurement)} (measured)`);
    const hp = predictions.get(heavy.measurement.recordId);
    if (file.remedy) {
      const said = hp?.kind === 'predicted' && hp.prediction.remedy ? `; recomputed now, the model recommends ${JSON.stringify(hp.prediction.remedy.change)}: ${hp.prediction.remedy.label}` : '';
      lines.push(`  with the model's recommended options (${optionsText(file.remedy.measurement)}): ${outcome(file.remedy.measurement)} (measured${said})`);
    } else if (hp?.kind === 'predicted' && hp.prediction.remedy) {
      lines.push(`  the model recommends ${JSON.stringify(hp.prediction.remedy.change)} (${hp.prediction.remedy.label}): not run in this sweep`);
    } else {
      lines.push(`  the model's recommended options: ${hp?.kind === 'predicted' ? 'none (it predicts no change is needed)' : 'not available (no prediction)'}`);
    }
  }
  const light = lightComparison(file.cells, heavy, predictions);
  if (light.length > 0) lines.push('', ...light);
  return lines.join('\n');
}

/**
 * The light guest's side of "the recommendation finishes where the defaults never do, and is no slower on the light
 * guest": the lightest guest's cell with the heaviest cell's options (the defaults), what the model recommends for
 * it, and what the recorded runs measured there; what no recorded run covers is said to be predicted only.
 */
function lightComparison(cells: readonly MeasuredCell[], heavy: MeasuredCell | undefined, predictions: ReadonlyMap<string, CellPredictionResult>): string[] {
  if (!heavy) return [];
  const load = (m: CellMeasurement) => (m.guest.rateMiBps ?? m.dirtyRateMiBps ?? 0) / m.capMiBps + m.guest.dirtyMiB / 1e6;
  const lightGuest = [...cells].sort((a, b) => load(a.measurement) - load(b.measurement))[0]?.measurement.guest;
  if (!lightGuest || sameGuest(lightGuest, heavy.measurement.guest)) return [];
  const ofLight = cells.filter((c) => sameGuest(c.measurement.guest, lightGuest));
  const base = ofLight.find((c) => c.measurement.capMiBps === heavy.measurement.capMiBps);
  if (!base) return [];
  const m = base.measurement;
  const out = [`light guest ${m.id}, the same defaults (${optionsText(m)}): ${outcome(m)} (measured)`];
  const p = predictions.get(m.recordId);
  if (p?.kind !== 'predicted') return [...out, '  no prediction: no recommendation to compare'];
  const remedy = p.prediction.remedy;
  if (!remedy) return [...out, `  the model keeps these options (it predicts ${p.prediction.converges === 'yes' ? 'they converge' : p.prediction.converges}): the recommendation is this run`];
  out.push(`  the model recommends ${JSON.stringify(remedy.change)}: ${remedy.label} (predicted, not run)`);
  const cap = remedy.change.bandwidthMiBps;
  const others = Object.keys(remedy.change).filter((k) => k !== 'bandwidthMiBps');
  if (cap === undefined || others.length > 0) return [...out, '  no recorded run has these options: the comparison is predicted only'];
  // A recorded run at the recommended cap, or else at the highest recorded cap between the defaults and it: the
  // recommendation sends the same pages at least as fast as that run did.
  const near = ofLight
    .filter((c) => c.measurement.capMiBps > m.capMiBps && c.measurement.capMiBps <= cap && Object.keys(c.measurement.options).every((k) => ['live', 'p2p', 'persistent', 'undefineSource', 'bandwidthMiBps'].includes(k)))
    .sort((a, b) => b.measurement.capMiBps - a.measurement.capMiBps)[0];
  if (!near) return [...out, '  no recorded run at or below that cap: the comparison is predicted only'];
  const exact = near.measurement.capMiBps === cap;
  return [...out, `  measured ${exact ? 'at that cap' : `at the nearest recorded cap below it, --bandwidth ${near.measurement.capMiBps}`} (${near.measurement.id}): ${outcome(near.measurement)}`];
}

async function sweep(cells: readonly PredictionCell[], jobLimitMs: number, loo: string, remedy: boolean, history: readonly MeasuredCell[]): Promise<SweepFile> {
  const l = labInfo();
  if (!l) throw new Error('The lab is not up (no lab.json): sudo npm run lab -- up');
  const loadStart = os.loadavg();
  const tools = (await virsh('hvA', ['version']).catch(() => '?')).split('\n').filter((x) => x.trim() !== '').join('; ');
  const le = await openLabEngine(l, { prefix: 'ferry-bench-predict-' });
  const measured: MeasuredCell[] = [];
  let remedyRun: (MeasuredCell & { forCell: string }) | undefined;
  const t0 = Date.now();
  try {
    for (const cell of cells) {
      const r = await runPredictionCell(le, cell, { jobLimitMs });
      measured.push(r);
      console.log(`${cell.id}: ${outcome(r.measurement)}; QEMU dirty rate ${f(r.measurement.dirtyRateMiBps)} MiB/s (${((Date.now() - t0) / 1000).toFixed(0)} s into the sweep)`);
    }
    const heavy = heaviest(measured);
    if (remedy && heavy) {
      const p = await predictCell('vmd', otherRuns([...history, ...measured], heavy.measurement, loo), heavy.measurement.options);
      const change = p.kind === 'predicted' ? p.prediction.remedy?.change : undefined;
      if (change && !change.postcopy) {
        const { bandwidthMiBps, ...rest } = change;
        const cell = { ...makeCell(heavy.measurement.guest, bandwidthMiBps ?? heavy.measurement.capMiBps, rest), id: `${heavy.measurement.id}+remedy` };
        const r = await runPredictionCell(le, cell, { jobLimitMs });
        remedyRun = { ...r, forCell: heavy.measurement.id };
        console.log(`${cell.id} (${JSON.stringify(cellOptions(cell))}): ${outcome(r.measurement)}`);
      } else console.log(`remedy run for ${heavy.measurement.id}: ${p.kind === 'predicted' ? 'no change recommended that the bench can run' : p.message}`);
    }
  } finally {
    await le.close();
    await vmReset();
  }
  return {
    date: new Date().toISOString(),
    machine: `${os.hostname()}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}`,
    loadAverage: { start: loadStart, end: os.loadavg() },
    jobLimitMs,
    tools,
    cells: measured,
    ...(remedyRun ? { remedy: remedyRun } : {}),
  };
}

const env = process.env;
// Earlier recorded runs a prediction may learn from besides this sweep's own cells (never a cell's own run).
const history: readonly MeasuredCell[] = env['BENCH_HISTORY'] ? (JSON.parse(readFileSync(env['BENCH_HISTORY'], 'utf8')) as SweepFile).cells : [];
const loo = env['BENCH_LOO'] === 'all' ? 'all' : 'same-guest';
let file: SweepFile;
if (env['BENCH_FROM']) {
  file = JSON.parse(readFileSync(env['BENCH_FROM'], 'utf8')) as SweepFile;
} else {
  const jobLimitMs = Number(env['BENCH_JOB_LIMIT_S'] ?? 90) * 1000;
  if (!(jobLimitMs >= 10_000)) throw new Error('BENCH_JOB_LIMIT_S: at least 10');
  file = await sweep(cellsFromEnv(env['BENCH_CELLS']), jobLimitMs, loo, env['BENCH_REMEDY'] !== '0', history);
}
// Measurements are derived again from the recorded runs, so a saved sweep gains any later fix of `measure`.
const again = (c: MeasuredCell): MeasuredCell => {
  const m = c.measurement;
  const { live: _l, p2p: _p, persistent: _pe, undefineSource: _u, bandwidthMiBps: _b, ...extra } = m.options;
  const cell = { ...makeCell(m.guest, m.capMiBps, extra), id: m.id };
  return { ...c, measurement: measure(cell, c.record, m.abortedAtMs) };
};
file = { ...file, cells: file.cells.map(again), ...(file.remedy ? { remedy: { ...file.remedy, ...again(file.remedy) } } : {}) };
const text = await report(file, loo, history);
console.log(`\n${text}`);
const full = env['BENCH_CELLS'] === undefined || env['BENCH_CELLS'] === '' || env['BENCH_CELLS'] === 'full';
if (env['BENCH_FROM'] && env['BENCH_SAVE'] === '1') {
  // The recorded runs stay as they are; only the table (predictions recomputed) is replaced.
  writeFileSync(path.join(RESULTS, 'prediction-sweep.txt'), `${text}\n(predictions recomputed ${new Date().toISOString()} from ${env['BENCH_FROM']})\n`);
  writeFileSync(path.join(RESULTS, 'prediction-sweep.json'), `${JSON.stringify(file)}\n`);
  console.log(`\nsaved bench/results/prediction-sweep.{txt,json} (the recorded runs unchanged)`);
} else if (!env['BENCH_FROM'] && (full || env['BENCH_SAVE'] === '1')) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'prediction-sweep.txt'), `${text}\n`);
  writeFileSync(path.join(RESULTS, 'prediction-sweep.json'), `${JSON.stringify(file)}\n`);
  console.log(`\nsaved bench/results/prediction-sweep.{txt,json}`);
}
