// The profile Ferry recommends from each profile's prediction: certain before uncertain, pre-copy before
// auto-converge before post-copy, then the quickest; never one that does not converge.
import { describe, expect, it } from 'vitest';
import { recommendProfile, type ProfilePrediction } from '../../shared/migration/predict-recommend';
import type { PredictedOutcome } from '../../shared/migration/predict-schema';

const r = (value: number) => ({ value, low: value * 0.8, high: value * 1.2 });
const p = (id: string, outcome: Partial<PredictedOutcome> & Pick<PredictedOutcome, 'converges' | 'ending'>, sentence = `${id} sentence.`): ProfilePrediction => ({
  id,
  name: id.toUpperCase(),
  prediction: { kind: 'predicted', outcome, sentence, changes: [] },
});
const never = (id: string) => p(id, { converges: 'no', ending: 'never' }, `Does not converge at 8 MiB/s.`);

describe('recommendProfile', () => {
  it('prefers pre-copy alone over auto-converge over post-copy, even when slower', () => {
    const list = [
      p('pc', { converges: 'yes', ending: 'post-copy', totalTimeMs: r(3000), downtimeMs: r(20) }),
      p('ac', { converges: 'yes', ending: 'auto-converge', totalTimeMs: r(40_000), downtimeMs: r(40) }),
      p('plain', { converges: 'yes', ending: 'pre-copy', totalTimeMs: r(60_000), downtimeMs: r(45) }),
    ];
    expect(recommendProfile(list).id).toBe('plain');
    expect(recommendProfile(list.slice(0, 2)).id).toBe('ac');
    expect(recommendProfile(list.slice(0, 1)).id).toBe('pc');
  });

  it('prefers a certain call to an uncertain one, then the quickest, then the shortest downtime', () => {
    expect(
      recommendProfile([p('maybe', { converges: 'uncertain', ending: 'pre-copy', totalTimeMs: r(5000) }), p('sure', { converges: 'yes', ending: 'pre-copy', totalTimeMs: r(9000) })]).id,
    ).toBe('sure');
    expect(recommendProfile([p('slow', { converges: 'yes', ending: 'pre-copy', totalTimeMs: r(9000) }), p('fast', { converges: 'yes', ending: 'pre-copy', totalTimeMs: r(6000) })]).id).toBe('fast');
    expect(
      recommendProfile([
        p('long', { converges: 'yes', ending: 'pre-copy', totalTimeMs: r(6000), downtimeMs: r(300) }),
        p('short', { converges: 'yes', ending: 'pre-copy', totalTimeMs: r(6000), downtimeMs: r(40) }),
      ]).id,
    ).toBe('short');
  });

  it('never recommends a profile that does not converge, and says why against the one on screen', () => {
    const list = [never('default'), p('lan', { converges: 'yes', ending: 'auto-converge', totalTimeMs: r(75_000) }, 'Converges in about 76 s once auto-converge throttles the guest to 99 %.')];
    const rec = recommendProfile(list, 'default');
    expect(rec.id).toBe('lan');
    expect(rec.sentence).toBe('LAN: converges in about 76 s once auto-converge throttles the guest to 99 %. DEFAULT does not converge.');
    expect(recommendProfile([never('a'), never('b')]).id).toBeUndefined();
    expect(recommendProfile([never('a')]).sentence).toMatch(/No profile converges/);
  });

  it('with nothing predicted, says what the model says is missing', () => {
    const cannot: ProfilePrediction = { id: 'x', name: 'X', prediction: { kind: 'cannot-predict', missing: ['workingSetBytes'], message: 'Cannot predict: no history for vmd; run a trial pre-copy or migrate it once.' } };
    expect(recommendProfile([cannot])).toEqual({ id: undefined, sentence: 'Cannot predict: no history for vmd; run a trial pre-copy or migrate it once.' });
  });
});
