/**
 * The prediction in the migrate dialog, for the options on screen: the call, the figures with ranges, the sentence
 * that says why, the inputs with their sources, the changes that make a failing run converge (one click applies
 * one), and the profile the model recommends. Before there is anything to predict from it says so and offers the
 * trial pre-copy, with what the trial costs.
 */
import type { OptionChange, Prediction, PredictionInputs } from '../../../../shared/migration/predict-schema';
import type { Recommendation } from '../../../../shared/migration/predict-recommend';
import { inputLines, predictionView, SOURCE_LABEL } from './predictionView';

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
  readonly trial?: { readonly cost: string; readonly running: boolean; readonly run: () => void } | undefined;
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
      {p.recommendation !== undefined && (
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
      {p.prediction.kind === 'cannot-predict' && p.trial !== undefined && (
        <p className="prediction__trial">
          <button type="button" className="button" disabled={p.busy || p.trial.running} onClick={p.trial.run}>
            {p.trial.running ? 'Running the trial…' : 'Run a trial pre-copy'}
          </button>{' '}
          <span className="muted">{p.trial.cost} The VM stays on the source; the trial is aborted after a few passes and recorded in the history.</span>
        </p>
      )}
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
