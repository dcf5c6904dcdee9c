// The prediction as the migrate dialog words it: the call, figures with ranges, the inputs with their sources.
import { describe, expect, it } from 'vitest';
import { inputLines, predictionView, rangeText } from '../../renderer/src/features/migrate/predictionView';
import type { Prediction, PredictionInputs } from '../../shared/migration/predict-schema';

const MiB = 1048576;

describe('predictionView', () => {
  it('words a converging run with its ranges, a range that rounds to one figure once', () => {
    const p: Prediction = {
      kind: 'predicted',
      outcome: {
        converges: 'yes',
        ending: 'pre-copy',
        totalTimeMs: { value: 6100, low: 4200, high: 9000 },
        downtimeMs: { value: 45, low: 45, high: 45 },
        passes: { value: 4, low: 3, high: 5 },
        dataBytes: { value: 60 * MiB, low: 55 * MiB, high: 70 * MiB },
      },
      sentence: 'Converges in about 6 s.',
      changes: [],
    };
    const v = predictionView(p);
    expect(v.tone).toBe('ok');
    expect(v.headline).toBe('Converges');
    expect(v.figures).toEqual([
      { label: 'Total time', value: '6.1 s (4.2 s – 9 s)' },
      { label: 'Downtime', value: '45 ms' },
      { label: 'Passes', value: '4 (3 – 5)' },
      { label: 'Data sent', value: '60.0 MiB (55.0 MiB – 70.0 MiB)' },
    ]);
    expect(rangeText(undefined, String)).toBe('—');
  });

  it('for a run that never ends shows what it sends and the changes that make it converge', () => {
    const p: Prediction = {
      kind: 'predicted',
      outcome: { converges: 'no', ending: 'never', dataBytes: { value: 480 * MiB, low: 480 * MiB, high: 480 * MiB } },
      sentence: 'Never converges at 8 MiB/s.',
      changes: [{ change: { bandwidthMiBps: 32 }, label: 'At 32 MiB/s: about 6 s, downtime under 300 ms.', outcome: { converges: 'yes', ending: 'pre-copy' } }],
    };
    const v = predictionView(p);
    expect([v.tone, v.headline]).toEqual(['bad', 'Will not converge']);
    expect(v.figures).toEqual([{ label: 'Data sent in the first minute', value: '480.0 MiB' }]);
    expect(v.changes).toEqual([{ label: 'At 32 MiB/s: about 6 s, downtime under 300 ms.', change: { bandwidthMiBps: 32 } }]);
  });

  it('says it cannot predict, with the model’s message', () => {
    const v = predictionView({ kind: 'cannot-predict', missing: ['workingSetBytes'], message: 'Cannot predict: no history for vmd; run a trial pre-copy or migrate it once.' });
    expect([v.tone, v.headline, v.sentence]).toEqual(['unknown', 'Cannot predict', 'Cannot predict: no history for vmd; run a trial pre-copy or migrate it once.']);
  });

  it('lists every input with its source, the missing ones as unknown', () => {
    const inputs: PredictionInputs = {
      vm: 'vmd',
      memoryBytes: { value: 256 * MiB, low: 256 * MiB, high: 256 * MiB, source: 'domain', basis: 'virsh dominfo on hvA.' },
      workingSetBytes: { value: 20 * MiB, low: 18 * MiB, high: 22 * MiB, source: 'history', basis: '2 earlier runs hvA -> hvB.' },
      basisRunIds: ['m-2', 'm-1'],
      notes: [],
    };
    expect(inputLines(inputs).map((l) => [l.label, l.value, l.source])).toEqual([
      ['Memory', '256 MiB', 'domain'],
      ['First pass sends', '—', 'unknown'],
      ['Working set', '20.0 MiB (18.0 MiB – 22.0 MiB)', 'history'],
      ['Guest writes at', '—', 'unknown'],
      ['Link', '—', 'unknown'],
    ]);
  });
});
