import { describe, expect, it } from 'vitest';
import { timeTickFormatter } from '../../renderer/src/features/migrate/chartData';

describe('time axis labels', () => {
  it('keep a decimal on short runs, so ticks 0.7 s apart do not repeat', () => {
    const f = timeTickFormatter(2.7);
    const labels = [0, 0.675, 1.35, 2.025, 2.7].map(f);
    expect(labels).toEqual(['0.0 s', '0.7 s', '1.4 s', '2.0 s', '2.7 s']);
    expect(new Set(labels).size).toBe(labels.length);
  });
  it('use whole seconds up to two minutes, then minutes', () => {
    expect([0, 15, 30.4].map(timeTickFormatter(60))).toEqual(['0 s', '15 s', '30 s']);
    expect([0, 90, 600].map(timeTickFormatter(600))).toEqual(['0 min', '1.5 min', '10 min']);
  });
});
