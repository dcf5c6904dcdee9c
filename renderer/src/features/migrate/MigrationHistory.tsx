/**
 * The recent migrations, newest first: VM, route, start, the final statistics libvirt reported for the finished job
 * (total time, real downtime, data sent), result. The console holds every migration not ended and the newest ended
 * ones (WATCH_SNAPSHOT_ENDED, plus those of this session); the Reports browser holds the whole history.
 */
import { useActions, useFerryShallow } from '../../store/react';
import { formatTimestamp } from '../../view/format';
import { historyFinals, runLabel } from './runView';
import { WATCH_SNAPSHOT_ENDED } from '../../../../shared/migration/record-schema';

export function MigrationHistory() {
  const runs = useFerryShallow((s) => Object.values(s.migration.runs).sort((a, b) => b.startedAt.localeCompare(a.startedAt)));
  const { openRun } = useActions();
  return (
    <section className="migration-view" aria-labelledby="history-title">
      <header className="migration-view__head">
        <h2 id="history-title">Migration history</h2>
        <button type="button" className="button button--quiet" onClick={() => openRun(null)}>
          Back to inventory
        </button>
      </header>
      {runs.filter((r) => r.endedAt !== undefined).length >= WATCH_SNAPSHOT_ENDED && (
        <p className="migration-view__note">The most recent migrations; Reports (in the header) holds the whole history.</p>
      )}
      <table className="history" aria-label="Migration history">
        <thead>
          <tr>
            <th colSpan={3} />
            <th colSpan={3} scope="colgroup" className="history__group">
              Final statistics
            </th>
            <th />
          </tr>
          <tr>
            <th>VM</th>
            <th>Source → destination</th>
            <th>Started</th>
            <th>Total time</th>
            <th>Real downtime</th>
            <th>Data sent</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const l = runLabel(r);
            const f = historyFinals(r);
            return (
              <tr key={r.id} onClick={() => openRun(r.id)} className="history__row">
                <td>
                  <button type="button" className="button button--link" onClick={() => openRun(r.id)}>
                    {r.vmName}
                  </button>
                  {r.purpose === 'trial' && (
                    <span className="reports__tag" title="A trial pre-copy: aborted on purpose after a few passes, to measure the VM">
                      trial
                    </span>
                  )}
                </td>
                <td>
                  {r.sourceName} → {r.destinationName}
                </td>
                <td>{formatTimestamp(r.startedAt)}</td>
                <td>{f.total}</td>
                <td>{f.downtime}</td>
                <td>{f.data}</td>
                <td className={`tone-${l.tone}`} title={r.error?.message}>
                  {l.text}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
