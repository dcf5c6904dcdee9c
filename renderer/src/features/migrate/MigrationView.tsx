/**
 * One migration on screen: the verdict (big, coloured), the remedies that apply now (one click each; abort asks
 * first), the live figures (once it has ended: the final statistics libvirt reported, and for a failed or aborted
 * one the last sample too) and the chart; or, with id '', the history of every migration.
 */
import { useState } from 'react';
import { useActions, useFerry } from '../../store/react';
import type { MigrationRun, RunRemedy } from '../../store/migrationPort';
import { MigrationChart } from './MigrationChart';
import { MigrationHistory } from './MigrationHistory';
import { postcopyMarkerT } from './chartData';
import { autoConverging, finalStatistics, fmtMs, liveFigures, runLabel, VERDICT_LABELS } from './runView';

export function MigrationView({ id }: { id: string }) {
  const run = useFerry((s) => (id === '' ? undefined : s.migration.runs[id]));
  const { openRun } = useActions();
  if (id === '' || run === undefined) return <MigrationHistory />;
  return (
    <section className="migration-view" aria-labelledby="migration-title">
      <header className="migration-view__head">
        <h2 id="migration-title">
          {run.vmName}: {run.sourceName} → {run.destinationName}
        </h2>
        <button type="button" className="button button--quiet" onClick={() => openRun(null)}>
          Back to inventory
        </button>
      </header>
      <Verdict run={run} />
      <FinalFigures run={run} />
      {run.status !== 'completed' && <Figures run={run} />}
      <MigrationChart
        points={run.samples}
        bandwidthCapMiBps={run.limits?.bandwidthMiBps ?? run.options.bandwidthMiBps}
        maxDowntimeMs={run.limits?.maxDowntimeMs ?? run.options.maxDowntimeMs ?? 300}
        throttle={autoConverging(run)}
        postcopyAt={postcopyMarkerT(run.samples, run.postcopy?.startedAt)}
      />
    </section>
  );
}

function Verdict({ run }: { run: MigrationRun }) {
  const v = run.verdict;
  const label = runLabel(run);
  const text = run.status === 'running' ? (v?.reason ?? 'Waiting for the first sample…') : run.status === 'completed' ? `Completed in ${fmtMs(run.totalMs)} with ${fmtMs(run.downtimeMs)} of downtime.` : (run.error?.message ?? 'The migration was aborted; the VM keeps running on the source.');
  return (
    <div className={`verdict tone-${label.tone}`}>
      <p role="status" aria-label="Migration verdict" className="verdict__sentence">
        <strong>{run.status === 'running' && v !== undefined ? VERDICT_LABELS[v.state] : label.text}.</strong> {text}
      </p>
      {run.status === 'running' && v !== undefined && <Remedies id={run.id} remedies={v.remedies} />}
      {run.status !== 'running' && run.error?.detail !== undefined && (
        <section aria-label="libvirt's error" className="banner__detail">
          <pre>{run.error.detail}</pre>
        </section>
      )}
    </div>
  );
}

const REMEDY_NAMES: Record<RunRemedy['action'], (r: RunRemedy) => string> = {
  setSpeed: (r) => `Raise bandwidth cap to ${r.value ?? '?'} MiB/s`,
  setMaxDowntime: (r) => `Raise max downtime to ${r.value ?? '?'} ms`,
  postcopy: () => 'Switch to post-copy',
  abort: () => 'Abort migration',
};

function Remedies({ id, remedies }: { id: string; remedies: readonly RunRemedy[] }) {
  const { controlMigration } = useActions();
  const busy = useFerry((s) => s.migration.controlling[id]);
  const [confirmAbort, setConfirmAbort] = useState(false);
  const act = (r: RunRemedy) => {
    if (r.action === 'abort') return void controlMigration(id, { kind: 'abort' });
    if (r.action === 'postcopy') return void controlMigration(id, { kind: 'postcopy' });
    return void controlMigration(id, { kind: r.action, value: r.value ?? 0 });
  };
  return (
    <div className="remedies">
      {remedies.map((r) =>
        r.action === 'abort' && confirmAbort ? (
          <span key={r.action} className="remedies__confirm" role="group" aria-label="Confirm abort">
            Abort? The VM keeps running on the source.
            <button type="button" className="button button--danger" onClick={() => act(r)} disabled={busy !== undefined}>
              Abort migration
            </button>
            <button type="button" className="button" onClick={() => setConfirmAbort(false)}>
              Keep migrating
            </button>
          </span>
        ) : (
          <button
            key={r.action}
            type="button"
            className={`button${r.action === 'abort' ? ' button--danger' : ' button--primary'}`}
            disabled={!r.available || busy !== undefined}
            title={r.label}
            onClick={() => (r.action === 'abort' ? setConfirmAbort(true) : act(r))}
          >
            {busy === r.action ? 'Sending…' : REMEDY_NAMES[r.action](r)}
          </button>
        ),
      )}
    </div>
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
    <dl className="figures" aria-label={run.status === 'running' ? 'Live figures' : 'Last sample before the end'}>
      {liveFigures(run).map(({ label, value }) => (
        <div key={label} className="figures__item">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
