/**
 * The migrate dialog's prediction, as words and figures: the call (converges / will not / may not), the figures
 * with their ranges, each input with where it came from (history, trial, dirtyrate-calc, the domain, the options, the
 * link, unknown), and the changes that would make a failing run converge. Pure, so the dialog can recompute it on
 * every field change.
 */
import { formatBytes, formatBytesPerSecond, formatMilliseconds } from '../../../../shared/units';
import type { Estimate, PredictedRange, Prediction, PredictionInputs, PredictionSource } from '../../../../shared/migration/predict-schema';

export const SOURCE_LABEL: Readonly<Record<PredictionSource, string>> = {
  history: 'history',
  trial: 'trial',
  'dirtyrate-calc': 'dirtyrate-calc',
  domain: 'domain',
  options: 'options',
  link: 'link',
  unknown: 'unknown',
};

export interface PredictionLine {
  readonly label: string;
  readonly value: string;
}

export interface InputLine {
  readonly label: string;
  readonly value: string;
  readonly source: PredictionSource;
  readonly basis: string;
}

export interface PredictionViewModel {
  readonly tone: 'ok' | 'warn' | 'bad' | 'unknown';
  readonly headline: string;
  readonly sentence: string;
  readonly figures: readonly PredictionLine[];
  readonly changes: readonly { readonly label: string; readonly change: Record<string, unknown> }[];
}

/** "6.1 s (4.2 - 9.0 s)"; a range that rounds to one figure is shown once. */
export function rangeText(r: PredictedRange | undefined, format: (n: number) => string): string {
  if (r === undefined) return '—';
  const [v, lo, hi] = [format(r.value), format(r.low), format(r.high)];
  return lo === hi ? v : `${v} (${lo} – ${hi})`;
}

const passes = (n: number): string => String(Math.round(n));

export function predictionView(p: Prediction): PredictionViewModel {
  if (p.kind === 'cannot-predict') return { tone: 'unknown', headline: 'Cannot predict', sentence: p.message, figures: [], changes: [] };
  const o = p.outcome;
  const headline = o.converges === 'yes' ? 'Converges' : o.converges === 'no' ? 'Will not converge' : 'May not converge';
  const tone = o.converges === 'yes' ? 'ok' : o.converges === 'no' ? 'bad' : 'warn';
  const figures: PredictionLine[] =
    o.ending === 'never'
      ? [{ label: 'Data sent in the first minute', value: rangeText(o.dataBytes, (n) => formatBytes(n, 1)) }]
      : [
          { label: 'Total time', value: rangeText(o.totalTimeMs, formatMilliseconds) },
          { label: 'Downtime', value: rangeText(o.downtimeMs, formatMilliseconds) },
          { label: 'Passes', value: rangeText(o.passes, passes) },
          { label: 'Data sent', value: rangeText(o.dataBytes, (n) => formatBytes(n, 1)) },
          ...(o.throttlePercent !== undefined && o.throttlePercent > 0 ? [{ label: 'Throttle reached', value: `${o.throttlePercent} %` }] : []),
        ];
  return { tone, headline, sentence: p.sentence, figures, changes: p.changes.map((c) => ({ label: c.label, change: { ...c.change } })) };
}

const estimateText = (e: Estimate, format: (n: number) => string): string => rangeText(e, format);

/** Each input the model used, with its source named. Absent inputs are listed as unknown. */
export function inputLines(inputs: PredictionInputs): InputLine[] {
  const line = (label: string, e: Estimate | undefined, format: (n: number) => string): InputLine =>
    e === undefined ? { label, value: '—', source: 'unknown', basis: 'Not known yet.' } : { label, value: estimateText(e, format), source: e.source, basis: e.basis };
  return [
    line('Memory', inputs.memoryBytes, (n) => formatBytes(n, 0)),
    line('First pass sends', inputs.firstPassBytes, (n) => formatBytes(n, 1)),
    line('Working set', inputs.workingSetBytes, (n) => formatBytes(n, 1)),
    line('Guest writes at', inputs.writeBytesPerSecond, (n) => formatBytesPerSecond(n, 1)),
    line('Link', inputs.linkBytesPerSecond, (n) => formatBytesPerSecond(n, 1)),
  ];
}
