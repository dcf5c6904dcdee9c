// THE JOIN TO THE MODEL (to be wired by the lead once shared/migration/predict.ts and predict-inputs.ts are merged).
//
// The bench's prediction step, kept apart from the lab: from the journal records of OTHER runs (never the cell's
// own) and the options of the cell about to run, what the model predicts. When this file was written the model and
// the inputs estimator did not exist yet, so they are loaded at run time under the names agreed for them
// (`estimateFromRun`, `combineRuns` from predict-inputs, `predict` from predict) and the bench reports "no model"
// when they are absent. The calls follow their signatures on the predict-inputs branch at 23:25 UTC (estimateFromRun
// of an EstimatorRun, combineRuns(runs, target, now)). Once merged: replace `loadModel` by static imports (and the
// local EstimatorRun by the real type, or predict-gather's `estimatorRun`); the rest of the bench does not change.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MigrationRecord } from '../electron/main/migration/record';
import type { MigrationOptions } from '../shared/migration/options';
import { predictionSchema, type PredictionInputs, type OptionChange } from '../shared/migration/predict-schema';

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
  | { readonly kind: 'cannot-predict'; readonly message: string }
  | { readonly kind: 'no-model'; readonly message: string };

/** The run as predict-inputs' `EstimatorRun` reads it (what electron/main/migration/predict-gather.ts builds from a record). */
interface EstimatorRun {
  readonly id: string;
  readonly vm: string;
  readonly sourceHostId: string;
  readonly destinationHostId: string;
  readonly startedAt: number;
  readonly bandwidthMiBps?: number;
  readonly samples: MigrationRecord['samples'];
}

interface Model {
  readonly estimateFromRun: (run: EstimatorRun) => { readonly startedAt: number };
  readonly combineRuns: (
    runs: readonly { readonly startedAt: number }[],
    target: { readonly vm: string; readonly sourceHostId: string; readonly destinationHostId: string; readonly memoryBytes?: number },
    now: number,
  ) => PredictionInputs;
  readonly predict: (inputs: PredictionInputs, options: MigrationOptions) => unknown;
}

function estimatorRun(r: MigrationRecord): EstimatorRun | undefined {
  const s = r.start;
  if (!s) return undefined;
  const cap = s.options['bandwidthMiBps'];
  return {
    id: r.id,
    vm: s.vm,
    sourceHostId: s.source.id,
    destinationHostId: s.destination.id,
    startedAt: r.startedAt ?? r.samples[0]?.at ?? 0,
    ...(typeof cap === 'number' ? { bandwidthMiBps: cap } : {}),
    samples: r.samples,
  };
}

const INPUTS = new URL('../shared/migration/predict-inputs.ts', import.meta.url);
const MODEL = new URL('../shared/migration/predict.ts', import.meta.url);

let loaded: Promise<Model | string> | undefined;

function loadModel(): Promise<Model | string> {
  loaded ??= (async () => {
    const missing = [INPUTS, MODEL].filter((u) => !existsSync(fileURLToPath(u))).map((u) => fileURLToPath(u).replace(/^.*\/shared\//, 'shared/'));
    if (missing.length > 0) return `the model is not in this checkout (${missing.join(', ')} missing)`;
    const inputs = (await import(INPUTS.href)) as Partial<Model>;
    const model = (await import(MODEL.href)) as Partial<Model>;
    const { estimateFromRun, combineRuns } = inputs;
    const { predict } = model;
    if (!estimateFromRun || !combineRuns || !predict) return 'predict-inputs/predict do not export estimateFromRun, combineRuns and predict';
    return { estimateFromRun, combineRuns, predict };
  })();
  return loaded;
}

/** The prediction step: the model's answer for `options`, from `otherRuns` only. */
export async function predictCell(vm: string, otherRuns: readonly MigrationRecord[], options: MigrationOptions): Promise<CellPredictionResult> {
  const model = await loadModel();
  if (typeof model === 'string') return { kind: 'no-model', message: model };
  const runs = otherRuns.flatMap((r) => {
    const run = estimatorRun(r);
    return run ? [model.estimateFromRun(run)] : [];
  });
  // "Now" is just after the newest run: a saved sweep replayed months later must not find its runs too old.
  const now = Math.max(0, ...runs.map((r) => r.startedAt)) + 1;
  const inputs = model.combineRuns(runs, { vm, sourceHostId: 'hvA', destinationHostId: 'hvB' }, now);
  const p = predictionSchema.parse(model.predict(inputs, options));
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
