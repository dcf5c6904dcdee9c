// The bench's prediction step, kept apart from the lab: from the journal records of OTHER runs (never the cell's
// own) and the options of the cell about to run, what the model predicts, as Ferry's console would: the runs'
// estimates (shared/migration/predict-inputs.ts) folded into inputs, then the model (shared/migration/predict.ts).
import type { MigrationRecord } from '../electron/main/migration/record';
import { estimatorRun } from '../electron/main/migration/predict-gather';
import { combineRuns, estimateFromRun, linkWithNic } from '../shared/migration/predict-inputs';
import { predict } from '../shared/migration/predict';
import type { MigrationOptions } from '../shared/migration/options';
import { predictionSchema, type OptionChange } from '../shared/migration/predict-schema';

/** What the bench compares with a measured cell. */
export interface CellPrediction {
  readonly converges: 'yes' | 'no' | 'uncertain';
  readonly ending?: string;
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  readonly dataBytes?: number;
  readonly passes?: number;
  readonly sentence: string;
  /** The model's cheapest change that makes the run converge, when it says it does not (or may not). */
  readonly remedy?: { readonly change: OptionChange; readonly label: string };
}

export type CellPredictionResult =
  | { readonly kind: 'predicted'; readonly prediction: CellPrediction }
  | { readonly kind: 'cannot-predict'; readonly message: string };

const LAB_NIC = { iface: 'eth0', megabitsPerSecond: 10_000 };

/** The prediction step: the model's answer for `options`, from `otherRuns` only. */
export async function predictCell(vm: string, otherRuns: readonly MigrationRecord[], options: MigrationOptions): Promise<CellPredictionResult> {
  const runs = otherRuns.flatMap((r) => {
    const run = estimatorRun(r);
    return run ? [estimateFromRun(run, r.start?.purpose === 'trial' ? 'trial' : 'history')] : [];
  });
  // "Now" is just after the newest run: a saved sweep replayed months later must not find its runs too old.
  const now = Math.max(0, ...runs.map((r) => r.startedAt)) + 1;
  // The route of the runs (the sweep's runs all go hvA -> hvB), so that they also say what the link gives.
  const route = runs[0];
  const combined = combineRuns(runs, { vm, sourceHostId: route?.sourceHostId ?? 'hvA', destinationHostId: route?.destinationHostId ?? 'hvB' }, now);
  // As Ferry gathers it: the NIC on the route bounds the link (the lab's hvA eth0, a veth at 10000 Mb/s, captured in
  // test/fixtures/ethtool/settings-veth.txt); runs that all hit their cap say only "at least".
  const lowerBoundOnly = runs.length > 0 && runs.every((r) => r.capLimited);
  const inputs = { ...combined, linkBytesPerSecond: linkWithNic(combined.linkBytesPerSecond, lowerBoundOnly, LAB_NIC) };
  const p = predictionSchema.parse(predict(inputs, options));
  if (p.kind === 'cannot-predict') return { kind: 'cannot-predict', message: p.message };
  const o = p.outcome;
  const first = p.changes[0];
  return {
    kind: 'predicted',
    prediction: {
      converges: o.converges,
      ending: o.ending,
      sentence: p.sentence,
      ...(o.totalTimeMs ? { totalTimeMs: o.totalTimeMs.value } : {}),
      ...(o.downtimeMs ? { downtimeMs: o.downtimeMs.value } : {}),
      ...(o.dataBytes ? { dataBytes: o.dataBytes.value } : {}),
      ...(o.passes ? { passes: o.passes.value } : {}),
      ...(first ? { remedy: { change: first.change, label: first.label } } : {}),
    },
  };
}
