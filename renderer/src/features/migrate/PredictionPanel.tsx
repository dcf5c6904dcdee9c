/**
 * The prediction in the migrate dialog, for the options on screen: the call, the figures with ranges, the sentence
 * that says why, the inputs with their sources, the changes that make a failing run converge (one click applies
 * one), and the profile the model recommends. Before there is anything to predict from it says so and offers the
 * trial pre-copy, with what the trial costs.
 */
import { useState } from 'react';
import type { OptionChange, Prediction, PredictionInputs } from '../../../../shared/migration/predict-schema';
import type { Recommendation } from '../../../../shared/migration/predict-recommend';
import { ErrorBanner } from '../common/ErrorBanner';
import { inputLines, predictionView, SOURCE_LABEL } from './predictionView';

export interface TrialOfferProps {
  /** What it costs at most, in words (trialCost's sentence). */
  readonly cost: string;
  /** "hvA and hvB": the hosts whose migration network carries it. */
  readonly route: string;
  readonly running: boolean;
  readonly run: () => void;
  /** Main's sentence for the last trial, when it ended as planned. */
  readonly done?: string | undefined;
  /** Why the last trial gave no prediction (failed; completed, the VM moved), in main's words. */
  readonly problem?: { readonly message: string; readonly detail?: string | undefined } | undefined;
}

export interface PredictionPanelProps {
  /** undefined while the inputs are being gathered. */
  readonly inputs: PredictionInputs | undefined;
  readonly prediction: Prediction | undefined;
  readonly recommendation: Recommendation | undefined;
  /** The name of the profile the recommendation names, when it is not the one on screen. */
  readonly recommendedName?: string | undefined;
  readonly busy: boolean;
  readonly onApply: (change: OptionChange) => void;
  readonly onUseProfile: (id: string) => void;
  /** Offered when the inputs lack what a prediction needs: the trial, with its cost in words. */
  readonly trial?: TrialOfferProps | undefined;
  readonly error?: string | undefined;
}

export function PredictionPanel(p: PredictionPanelProps) {
  if (p.error !== undefined) {
    return (
      <section className="prediction" aria-label="Prediction">
        <h3 className="section-title">Prediction</h3>
        <p className="muted">Cannot predict: {p.error}</p>
      </section>
    );
  }
  if (p.inputs === undefined || p.prediction === undefined) {
    return (
      <section className="prediction" aria-label="Prediction" aria-busy="true">
        <h3 className="section-title">Prediction</h3>
        <p className="muted">Reading what Ferry knows about this VM…</p>
      </section>
    );
  }
  const v = predictionView(p.prediction);
  return (
    <section className={`prediction prediction--${v.tone}`} aria-label="Prediction">
      <h3 className="section-title">Prediction</h3>
      <p className="prediction__call">
        <strong>{v.headline}.</strong> {v.sentence}
      </p>
      {v.figures.length > 0 && (
        <dl className="prediction__figures">
          {v.figures.map((f) => (
            <div key={f.label}>
              <dt>{f.label}</dt>
              <dd>{f.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {v.changes.length > 0 && (
        <ul className="prediction__changes" aria-label="Changes that make it converge">
          {v.changes.map((c) => (
            <li key={c.label}>
              <button type="button" className="button button--quiet" disabled={p.busy} onClick={() => p.onApply(c.change as OptionChange)}>
                Apply
              </button>{' '}
              {c.label}
            </li>
          ))}
        </ul>
      )}
      {/* Nothing to recommend from when nothing can be predicted: the call above already says what is missing. */}
      {p.recommendation !== undefined && p.prediction.kind === 'predicted' && (
        <p className="prediction__recommendation">
          <strong>Recommended:</strong> {p.recommendation.sentence}
          {p.recommendation.id !== undefined && p.recommendedName !== undefined && (
            <>
              {' '}
              <button type="button" className="button button--quiet" disabled={p.busy} onClick={() => p.recommendation?.id !== undefined && p.onUseProfile(p.recommendation.id)}>
                Use {p.recommendedName}
              </button>
            </>
          )}
        </p>
      )}
      {p.trial?.problem !== undefined && <ErrorBanner message={p.trial.problem.message} {...(p.trial.problem.detail !== undefined ? { detail: p.trial.problem.detail } : {})} />}
      {p.prediction.kind === 'cannot-predict' && p.trial !== undefined && <TrialOffer {...p.trial} busy={p.busy} />}
      {p.prediction.kind === 'predicted' && p.trial?.done !== undefined && <p className="prediction__trial-done muted">Trial pre-copy: {p.trial.done}</p>}
      <details className="prediction__inputs">
        <summary>What it is predicted from</summary>
        <table>
          <tbody>
            {inputLines(p.inputs).map((i) => (
              <tr key={i.label}>
                <th scope="row">{i.label}</th>
                <td>{i.value}</td>
                <td>
                  <span className={`source source--${i.source}`}>{SOURCE_LABEL[i.source]}</span>
                </td>
                <td className="muted">{i.basis}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {p.inputs.notes.length > 0 && (
          <ul className="prediction__notes">
            {p.inputs.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
      </details>
    </section>
  );
}

/**
 * The trial's offer: its cost before anything runs, then a confirmation naming the traffic it puts on the migration
 * network (the keyboard moves to its button, Cancel is the next one), then "running" until main answers.
 */
function TrialOffer(t: TrialOfferProps & { readonly busy: boolean }) {
  const [confirming, setConfirming] = useState(false);
  if (t.running || !confirming) {
    return (
      <div className="prediction__trial">
        <button type="button" className="button" disabled={t.busy || t.running} aria-busy={t.running} onClick={() => setConfirming(true)}>
          {t.running ? 'Running the trial pre-copy…' : 'Run a trial pre-copy'}
        </button>
        <p className="muted">
          {t.running ? 'It runs in the background: closing this dialog does not stop it, and it is recorded in the migration history. ' : ''}
          {t.cost}
        </p>
      </div>
    );
  }
  return (
    <div className="prediction__trial prediction__trial--confirm" role="group" aria-label="Confirm the trial pre-copy">
      <p>
        <strong>Run a real migration between {t.route} and abort it?</strong> {t.cost}
      </p>
      <button
        // The admin pressed "Run a trial pre-copy" a moment ago: the keyboard moves on to the confirmation.
        autoFocus
        type="button"
        className="button button--primary"
        disabled={t.busy}
        onClick={() => {
          setConfirming(false);
          t.run();
        }}
      >
        Run the trial
      </button>{' '}
      <button type="button" className="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </div>
  );
}
