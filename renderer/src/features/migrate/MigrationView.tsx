/**
 * One migration on screen: the verdict (big, coloured), the remedies that apply now (one click each; abort asks
 * first, and so does the switch to post-copy between hosts that could not resume it); for a run whose post-copy broke,
 * where each half of the VM is and the one thing to do (resume), with the post-copy timeline; the live figures (once it has ended: the final statistics libvirt reported, and for a failed or aborted
 * one the last sample too) and the chart; or, with id '', the history of every migration.
 */
import { useId, useMemo, useState } from 'react';
import { takesValue } from '../../../../shared/migration/controls';
import type { PostcopyRecovery } from '../../../../shared/migration/postcopy';
import { isActive } from '../../../../shared/migration/state';
import { useActions, useFerry } from '../../store/react';
import type { MigrationRun } from '../../store/migrationPort';
import { formatTimestamp } from '../../view/format';
import { MigrationChart } from './MigrationChart';
import { MigrationHistory } from './MigrationHistory';
import { postcopyMarkerT } from './chartData';
import { interruptedNotice, interruptionMarks, offeredControls, offersSwitch, postcopyTimeline, switchQuestion, type OfferedAction, type OfferedControl } from './postcopyView';
import { PostcopyRiskNote, usePostcopyRecovery } from './PostcopyRisk';
import { autoConverging, finalStatistics, fmtMs, liveFigures, runLabel, VERDICT_LABELS } from './runView';
import { errorText, predictedAgainstActual } from '../../../../shared/migration/predict-compare';

export function MigrationView({ id }: { id: string }) {
  const run = useFerry((s) => (id === '' ? undefined : s.migration.runs[id]));
  const { openRun } = useActions();
  // Opened from an evacuation's row, closing it goes back to that evacuation.
  const fromEvacuation = useFerry((s) => s.evacuation.openId !== null);
  // Kept while only other fields change, so the (memoised) chart does not redraw for them.
  const marks = useMemo(() => (run === undefined ? [] : interruptionMarks(run)), [run?.samples, run?.events, run?.interruption]);
  if (id === '' || run === undefined) return <MigrationHistory />;
  return (
    <section className="migration-view" aria-labelledby="migration-title">
      <header className="migration-view__head">
        <h2 id="migration-title">
          {run.vmName}: {run.sourceName} → {run.destinationName}
        </h2>
        <button type="button" className="button button--quiet" onClick={() => openRun(null)}>
          {fromEvacuation ? 'Back to evacuation' : 'Back to inventory'}
        </button>
      </header>
      <Verdict run={run} />
      <PostcopyTimeline run={run} />
      <FinalFigures run={run} />
      <PredictedAgainstActual run={run} />
      {run.state !== 'completed' && <Figures run={run} />}
      <MigrationChart
        points={run.samples}
        bandwidthCapMiBps={run.limits?.bandwidthMiBps ?? run.options.bandwidthMiBps}
        maxDowntimeMs={run.limits?.maxDowntimeMs ?? run.options.maxDowntimeMs ?? 300}
        throttle={autoConverging(run)}
        postcopyAt={postcopyMarkerT(run.samples, run.postcopy?.startedAt)}
        marks={marks}
      />
    </section>
  );
}

function Verdict({ run }: { run: MigrationRun }) {
  const recovery = usePostcopyRecovery({ id: run.sourceHostId, name: run.sourceName }, { id: run.destinationHostId, name: run.destinationName });
  const controls = offeredControls(run, recovery);
  const interrupted = interruptedNotice(run);
  if (interrupted !== undefined) {
    // Nothing here is live: the job is gone, each host holds half of the VM until a resume.
    return (
      <div className="verdict tone-error verdict--interrupted">
        <p role="status" aria-label="Migration verdict" className="verdict__sentence">
          <strong>{runLabel(run).text}.</strong> {interrupted.sentence}
        </p>
        {interrupted.failure !== undefined && (
          <section role="alert" aria-label="The last resume failed" className="banner__detail">
            <p>The last resume failed: {interrupted.failure.message}</p>
            {interrupted.failure.detail !== undefined && <pre>{interrupted.failure.detail}</pre>}
          </section>
        )}
        <Controls id={run.id} controls={controls} recovery={recovery} />
      </div>
    );
  }
  const v = run.verdict;
  const label = runLabel(run);
  const active = isActive(run.state);
  const text = active ? (v?.reason ?? 'Waiting for the first sample…') : run.state === 'completed' ? `Completed in ${fmtMs(run.totalMs)} with ${fmtMs(run.downtimeMs)} of downtime.` : (run.error?.message ?? 'The migration was aborted; the VM keeps running on the source.');
  return (
    <div className={`verdict tone-${label.tone}`}>
      <p role="status" aria-label="Migration verdict" className="verdict__sentence">
        <strong>{active && v !== undefined ? VERDICT_LABELS[v.state] : label.text}.</strong> {text}
      </p>
      {active && <Controls id={run.id} controls={controls} recovery={recovery} />}
      {!active && run.error?.detail !== undefined && (
        <section aria-label="libvirt's error" className="banner__detail">
          <pre>{run.error.detail}</pre>
        </section>
      )}
    </div>
  );
}

const CONTROL_NAMES: Record<OfferedAction, (c: OfferedControl) => string> = {
  setSpeed: (c) => `Raise bandwidth cap to ${c.value ?? '?'} MiB/s`,
  setMaxDowntime: (c) => `Raise max downtime to ${c.value ?? '?'} ms`,
  postcopy: () => 'Switch to post-copy',
  abort: () => 'Abort migration',
  resumePostcopy: () => 'Resume post-copy',
};

function confirmOf(action: OfferedAction, recovery: PostcopyRecovery): { group: string; question: string; keep: string } | undefined {
  if (action === 'abort') return { group: 'Confirm abort', question: 'Abort? The VM keeps running on the source.', keep: 'Keep migrating' };
  if (action === 'postcopy') return { group: 'Confirm switch to post-copy', question: switchQuestion(recovery), keep: 'Stay in pre-copy' };
  return undefined;
}

function Controls({ id, controls, recovery }: { id: string; controls: readonly OfferedControl[]; recovery: PostcopyRecovery }) {
  const { controlMigration } = useActions();
  const busy = useFerry((s) => s.migration.controlling[id]);
  const [confirming, setConfirming] = useState<OfferedAction | null>(null);
  const riskId = useId();
  const act = (c: OfferedControl) => {
    setConfirming(null);
    const action = c.action;
    return void controlMigration(id, takesValue(action) ? { action, value: c.value ?? 0 } : { action });
  };
  const danger = (c: OfferedControl) => c.action === 'abort' || (c.action === 'postcopy' && c.confirm);
  if (controls.length === 0) return null;
  return (
    <>
      <div className="remedies">
        {controls.map((c) => {
          const ask = confirmOf(c.action, recovery);
          return c.confirm && confirming === c.action && ask !== undefined ? (
            <span key={c.action} className="remedies__confirm" role="group" aria-label={ask.group}>
              {ask.question}
              <button type="button" className="button button--danger" onClick={() => act(c)} disabled={busy !== undefined}>
                {CONTROL_NAMES[c.action](c)}
              </button>
              <button type="button" className="button" onClick={() => setConfirming(null)}>
                {ask.keep}
              </button>
            </span>
          ) : (
            <button
              key={c.action}
              type="button"
              className={`button${danger(c) ? ' button--danger' : ' button--primary'}`}
              disabled={!c.available || busy !== undefined}
              title={c.label}
              aria-describedby={c.action === 'postcopy' ? riskId : undefined}
              onClick={() => (c.confirm ? setConfirming(c.action) : act(c))}
            >
              {busy === c.action ? 'Sending…' : CONTROL_NAMES[c.action](c)}
            </button>
          );
        })}
      </div>
      {offersSwitch(controls) && <PostcopyRiskNote recovery={recovery} id={riskId} />}
    </>
  );
}

/** How post-copy broke and was resumed, for a run that was interrupted (the reports have the whole timeline). */
function PostcopyTimeline({ run }: { run: MigrationRun }) {
  const rows = postcopyTimeline(run);
  if (rows.length === 0) return null;
  return (
    <table className="history postcopy-timeline" aria-label="Post-copy timeline">
      <thead>
        <tr>
          <th>Time</th>
          <th>Since start</th>
          <th>What</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{formatTimestamp(new Date(r.at).toISOString())}</td>
            <td>{r.since}</td>
            <td>{r.what}</td>
            <td>{r.text}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What Ferry predicted at the start for these options, against what happened (so far). */
function PredictedAgainstActual({ run }: { run: MigrationRun }) {
  const c = predictedAgainstActual({
    prediction: run.prediction,
    state: run.state,
    postcopy: run.postcopy,
    result: { totalTimeMs: run.totalMs, downtimeMs: run.downtimeMs, dataBytes: run.dataSentBytes },
  });
  if (c === undefined) return null;
  return (
    <section className="prediction-actual" aria-labelledby="prediction-actual-title">
      <h3 id="prediction-actual-title" className="final-stats__title">
        Predicted at the start
      </h3>
      <p className="muted">{c.sentence}</p>
      <table className="prediction-actual__table" aria-label="Predicted against actual">
        <thead>
          <tr>
            <th />
            <th scope="col">Predicted</th>
            <th scope="col">Actual</th>
            <th scope="col">Off by</th>
          </tr>
        </thead>
        <tbody>
          {c.rows.map((r) => (
            <tr key={r.label}>
              <th scope="row">{r.label}</th>
              <td>{r.predicted}</td>
              <td>{r.actual}</td>
              <td>{errorText(r.errorPercent)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** An ended migration's final statistics, from libvirt's completed job (not the last running sample). */
function FinalFigures({ run }: { run: MigrationRun }) {
  const stats = finalStatistics(run);
  if (stats === undefined) return null;
  return (
    <section className="final-stats figures__item" aria-labelledby="final-stats-title">
      <h3 id="final-stats-title" className="final-stats__title">
        Final statistics <span className="muted">(libvirt's completed job)</span>
      </h3>
      <dl className="figures figures--final" aria-label="Final statistics">
        {stats.items.map((i) => (
          <div key={i.label} className="figures__item">
            <dt>{i.label}</dt>
            <dd>{i.value}</dd>
          </div>
        ))}
      </dl>
      {stats.note !== undefined && <p className="muted">{stats.note}</p>}
    </section>
  );
}

function Figures({ run }: { run: MigrationRun }) {
  return (
    <dl className="figures" aria-label={isActive(run.state) ? 'Live figures' : run.state === 'post-copy-interrupted' ? 'Last sample before the interruption' : 'Last sample before the end'}>
      {liveFigures(run).map(({ label, value }) => (
        <div key={label} className="figures__item">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
