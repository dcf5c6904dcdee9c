/**
 * Which profile to recommend, from each profile's prediction (shared/migration/predict.ts), and why in one sentence.
 *
 * The order is the admin's, not the fastest number's: a run that converges by pre-copy alone beats one that needs
 * auto-converge (which slows the guest, up to 99 % of its vCPU time), which beats one that needs post-copy (if the
 * network fails during post-copy the guest is lost). A certain call beats an uncertain one. Within one rank, the
 * shortest predicted total time, then the shortest downtime. A profile that does not converge is never recommended.
 */
import type { Prediction, PredictedOutcome } from './predict-schema';

export interface ProfilePrediction {
  readonly id: string;
  readonly name: string;
  readonly prediction: Prediction;
}

export interface Recommendation {
  /** The recommended profile's id, or undefined when none converges (or none could be predicted). */
  readonly id: string | undefined;
  /** One sentence: which one and why, against the one on screen when it differs. */
  readonly sentence: string;
}

const ENDING_RANK: Readonly<Record<PredictedOutcome['ending'], number>> = { 'pre-copy': 0, 'auto-converge': 1, 'post-copy': 2, never: 9 };

/** Lower is better; undefined for a profile that cannot be recommended. */
function rank(p: Prediction): readonly number[] | undefined {
  if (p.kind !== 'predicted' || p.outcome.converges === 'no' || p.outcome.ending === 'never') return undefined;
  return [p.outcome.converges === 'yes' ? 0 : 1, ENDING_RANK[p.outcome.ending], p.outcome.totalTimeMs?.value ?? Infinity, p.outcome.downtimeMs?.value ?? Infinity];
}

function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

const why = (p: Prediction): string => (p.kind === 'predicted' ? p.sentence : p.message);
const lowerFirst = (s: string): string => (s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s);

/** The profile to recommend among `candidates`, given the one on screen (`currentId`, may be custom: undefined). */
export function recommendProfile(candidates: readonly ProfilePrediction[], currentId?: string): Recommendation {
  let best: { c: ProfilePrediction; r: readonly number[] } | undefined;
  for (const c of candidates) {
    const r = rank(c.prediction);
    if (r !== undefined && (best === undefined || before(r, best.r))) best = { c, r };
  }
  if (best === undefined) {
    const predicted = candidates.filter((c) => c.prediction.kind === 'predicted');
    if (predicted.length === 0) {
      const first = candidates[0];
      return { id: undefined, sentence: first ? why(first.prediction) : 'No profile to predict.' };
    }
    return { id: undefined, sentence: 'No profile converges as it stands: see the changes that would make this migration converge.' };
  }
  const chosen = best.c;
  const current = candidates.find((c) => c.id === currentId);
  if (current === undefined || current.id === chosen.id) return { id: chosen.id, sentence: `${chosen.name}: ${lowerFirst(why(chosen.prediction))}` };
  const cur = current.prediction;
  const contrast =
    cur.kind !== 'predicted'
      ? ''
      : cur.outcome.converges === 'no'
        ? ` ${current.name} does not converge.`
        : cur.outcome.converges === 'uncertain'
          ? ` ${current.name} may not converge.`
          : ` ${current.name}: ${lowerFirst(cur.sentence)}`;
  return { id: chosen.id, sentence: `${chosen.name}: ${lowerFirst(why(chosen.prediction))}${contrast}` };
}
