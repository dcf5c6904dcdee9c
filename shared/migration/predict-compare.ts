/**
 * What Ferry predicted at a migration's start against what happened, as rows for the migration view and the report:
 * the call (converges or not, and how), total time, downtime and data sent, each predicted figure with its range and,
 * where both are known, how far off it was. Pure.
 */
import { formatBytes, formatMilliseconds } from '../units';
import type { Prediction, PredictedRange } from './predict-schema';
import type { MigrationRecordView } from './record-schema';

export interface ComparisonRow {
  readonly label: string;
  readonly predicted: string;
  readonly actual: string;
  /** Signed error of the likely value against the actual, percent (positive: predicted more), when both are known. */
  readonly errorPercent?: number;
}

export interface PredictionComparison {
  /** The prediction's own sentence (or why there was none). */
  readonly sentence: string;
  readonly rows: readonly ComparisonRow[];
}

const range = (r: PredictedRange | undefined, f: (n: number) => string): string => {
  if (r === undefined) return '—';
  const [v, lo, hi] = [f(r.value), f(r.low), f(r.high)];
  return lo === hi ? v : `${v} (${lo} – ${hi})`;
};
const bytes = (n: number) => formatBytes(n, 1);
const errorOf = (r: PredictedRange | undefined, actual: number | undefined): number | undefined =>
  r === undefined || actual === undefined || actual <= 0 ? undefined : ((r.value - actual) / actual) * 100;

function callText(p: Prediction): string {
  if (p.kind === 'cannot-predict') return 'could not predict';
  const o = p.outcome;
  if (o.converges === 'no') return 'does not converge';
  const how = o.ending === 'pre-copy' ? 'by pre-copy' : o.ending === 'auto-converge' ? 'with auto-converge' : o.ending === 'post-copy' ? 'by post-copy' : '';
  return `${o.converges === 'yes' ? 'converges' : 'may not converge'}${how ? ` ${how}` : ''}`;
}

/** The parts of a record the comparison reads (the record view has them; so has the renderer's run). */
export interface ComparedRecord {
  readonly prediction?: MigrationRecordView['prediction'];
  readonly state: MigrationRecordView['state'];
  readonly postcopy?: MigrationRecordView['postcopy'];
  readonly result: Pick<MigrationRecordView['result'], 'totalTimeMs' | 'downtimeMs' | 'dataBytes'>;
}

function actualText(r: ComparedRecord): string {
  if (r.state === 'completed') return r.postcopy !== undefined ? 'completed by post-copy' : 'completed';
  if (r.state === 'running' || r.state === 'post-copy') return 'still running';
  return r.state;
}

/** Undefined for a record without a prediction (started before predictions, or a trial). */
export function predictedAgainstActual(r: ComparedRecord): PredictionComparison | undefined {
  const p = r.prediction;
  if (p === undefined) return undefined;
  const o = p.kind === 'predicted' ? p.outcome : undefined;
  const done = r.state === 'completed';
  const row = (label: string, predicted: PredictedRange | undefined, actual: number | undefined, f: (n: number) => string): ComparisonRow => {
    const e = done ? errorOf(predicted, actual) : undefined;
    return { label, predicted: range(predicted, f), actual: actual === undefined ? '—' : f(actual), ...(e !== undefined ? { errorPercent: e } : {}) };
  };
  return {
    sentence: p.kind === 'predicted' ? p.sentence : p.message,
    rows: [
      { label: 'Outcome', predicted: callText(p), actual: actualText(r) },
      row('Total time', o?.totalTimeMs, r.result.totalTimeMs, formatMilliseconds),
      row('Downtime', o?.downtimeMs, r.result.downtimeMs, formatMilliseconds),
      row('Data sent', o?.dataBytes, r.result.dataBytes, bytes),
    ],
  };
}

/** "+12 %", "-3 %": how far the likely value was from what happened. */
export const errorText = (e: number | undefined): string => (e === undefined ? '' : `${e >= 0 ? '+' : '−'}${Math.abs(e).toFixed(0)} %`);
