// Predicted at the start against what happened: the rows the migration view and the HTML report show.
import { describe, expect, it } from 'vitest';
import { errorText, predictedAgainstActual } from '../../shared/migration/predict-compare';
import type { MigrationRecordView } from '../../shared/migration/record-schema';
import { buildHtmlReport } from '../../shared/reports/html';

const MiB = 1048576;
const record = (over: Partial<MigrationRecordView>): MigrationRecordView => ({
  id: 'm-1',
  vm: 'vmd',
  source: { id: 'a', name: 'hvA' },
  destination: { id: 'b', name: 'hvB' },
  options: { live: true, bandwidthMiBps: 32 },
  commandLine: 'virsh migrate',
  preflight: [],
  state: 'completed',
  startedAt: 1_000,
  endedAt: 9_000,
  result: { totalTimeMs: 5900, downtimeMs: 45, dataBytes: 144 * MiB },
  events: [],
  ...over,
});
const predicted: MigrationRecordView['prediction'] = {
  kind: 'predicted',
  outcome: { converges: 'yes', ending: 'pre-copy', totalTimeMs: { value: 6490, low: 5000, high: 8000 }, downtimeMs: { value: 45, low: 45, high: 45 }, dataBytes: { value: 150 * MiB, low: 140 * MiB, high: 160 * MiB } },
  sentence: 'Converges in about 6.5 s.',
  changes: [],
};

describe('predictedAgainstActual', () => {
  it('puts each predicted figure beside the actual one, with how far off the likely value was', () => {
    const c = predictedAgainstActual(record({ prediction: predicted }));
    expect(c?.sentence).toBe('Converges in about 6.5 s.');
    expect(c?.rows.map((r) => [r.label, r.predicted, r.actual, errorText(r.errorPercent)])).toEqual([
      ['Outcome', 'converges by pre-copy', 'completed', ''],
      ['Total time', '6.49 s (5 s – 8 s)', '5.9 s', '+10 %'],
      ['Downtime', '45 ms', '45 ms', '+0 %'],
      ['Data sent', '150.0 MiB (140.0 MiB – 160.0 MiB)', '144.0 MiB', '+4 %'],
    ]);
  });

  it('gives no error for a run that did not complete, and nothing for a run without a prediction', () => {
    const aborted = predictedAgainstActual(record({ prediction: { kind: 'predicted', outcome: { converges: 'no', ending: 'never' }, sentence: 'Never converges at 8 MiB/s.', changes: [] }, state: 'aborted', result: {} }));
    expect(aborted?.rows[0]).toEqual({ label: 'Outcome', predicted: 'does not converge', actual: 'aborted' });
    expect(aborted?.rows.some((r) => r.errorPercent !== undefined)).toBe(false);
    expect(predictedAgainstActual(record({}))).toBeUndefined();
  });

  it('is in the HTML report (escaped), and absent for a run without a prediction', () => {
    const html = buildHtmlReport([{ record: record({ prediction: { ...predicted, sentence: 'Converges <soon>.' } }), samples: [] }], { generatedAt: 0, generator: 'test' });
    expect(html).toContain('<h3>Predicted at the start</h3><p>Converges &lt;soon&gt;.</p>');
    expect(html).toContain('<td>Total time</td><td>6.49 s (5 s – 8 s)</td><td>5.9 s</td><td class="num">+10 %</td>');
    expect(buildHtmlReport([{ record: record({}), samples: [] }], { generatedAt: 0, generator: 'test' })).not.toContain('Predicted at the start');
  });
});
