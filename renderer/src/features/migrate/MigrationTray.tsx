/**
 * The bar under the console: running (and interrupted) migrations (progress, verdict; click to open), running
 * evacuations, and "Migrate…" for the selected VM.
 */
import { isActive } from '../../../../shared/migration/state';
import { useActions, useFerry, useFerryShallow } from '../../store/react';
import { splitVmKey } from '../../store/migrationSlice';
import { runLabel, trayProgress } from './runView';
import { EvacuationTray } from '../evacuate/EvacuationTray';

export function MigrationTray() {
  // An interrupted run has not ended (the VM is split until a resume): it stays in the tray, in the error tone.
  const running = useFerryShallow((s) => Object.values(s.migration.runs).filter((r) => isActive(r.state) || r.state === 'post-copy-interrupted'));
  const historyCount = useFerry((s) => Object.keys(s.migration.runs).length);
  const selected = useFerry((s) => s.ui.selectedVmKey);
  const openRunId = useFerry((s) => s.migration.openRunId);
  const { openMigrate, openRun } = useActions();
  const vm = selected === null ? null : splitVmKey(selected);
  return (
    <section className="tray" role="region" aria-label="Running migrations">
      {vm !== null && openRunId === null && (
        <button type="button" className="button button--primary" onClick={() => openMigrate(selected ?? '')} aria-label={`Migrate ${vm.vmName}…`}>
          Migrate {vm.vmName}…
        </button>
      )}
      {running.length === 0 ? (
        <span className="muted">No migration running.</span>
      ) : (
        <ul className="tray__list">
          {running.map((r) => {
            const label = runLabel(r);
            const p = trayProgress(r);
            return (
              <li key={r.id}>
                <button type="button" className={`tray__item tone-${label.tone}`} onClick={() => openRun(r.id)} aria-current={openRunId === r.id ? 'true' : undefined}>
                  <strong>{r.vmName}</strong> {r.sourceName} → {r.destinationName} · <span className="tray__verdict">{label.text}</span>
                  {p.value !== undefined && <progress max={1} value={p.value} aria-label={`First pass progress of ${r.vmName}`} />}
                  {p.text !== undefined && <span className="tray__pass muted">{p.text}</span>}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <EvacuationTray />
      <span className="tray__spacer" />
      {historyCount > 0 && (
        <button type="button" className="button button--quiet" onClick={() => openRun(openRunId === '' ? null : '')}>
          {openRunId === '' ? 'Back to inventory' : `Migration history (${historyCount})`}
        </button>
      )}
    </section>
  );
}
