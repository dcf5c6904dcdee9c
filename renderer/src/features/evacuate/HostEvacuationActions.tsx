/**
 * Maintenance mode and evacuation on a host: the badge the host carries in the list and its header while in
 * maintenance, and the header's actions (a toggle button, "Evacuate…", and the evacuation of this host while one runs).
 */
import type { HostRecord } from '../../../../shared/inventory/types';
import type { EvacuationView } from '../../../../shared/evacuation/schema';
import { useActions, useFerry } from '../../store/react';
import { formatTimestamp } from '../../view/format';

export function MaintenanceBadge({ record }: { record: Pick<HostRecord, 'maintenance'> }) {
  if (record.maintenance === undefined) return null;
  return (
    <span className="badge badge--warn" data-testid="maintenance-badge" title={`In maintenance since ${formatTimestamp(record.maintenance.since)}: a destination for nobody`}>
      Maintenance
    </span>
  );
}

export function HostEvacuationActions({ id }: { id: string }) {
  const inMaintenance = useFerry((s) => s.inventory.hosts[id]?.record.maintenance !== undefined);
  const pending = useFerry((s) => s.evacuation.maintenancePending[id] === true);
  // The host's newest evacuation: running (its button replaces Evacuate…), or ended (its report stays one click away).
  const latest = useFerry((s) => newestOf(Object.values(s.evacuation.list).filter((v) => v.hostId === id)));
  const running = latest?.state === 'ended' ? undefined : latest?.id;
  const { setMaintenance, openEvacuationPlan, openEvacuation } = useActions();
  const name = useFerry((s) => s.inventory.hosts[id]?.record.name ?? id);
  return (
    <>
      <button
        type="button"
        className="button"
        aria-pressed={inMaintenance}
        aria-keyshortcuts="M"
        disabled={pending}
        aria-busy={pending}
        onClick={() => void setMaintenance(id, !inMaintenance)}
        title={`${inMaintenance ? `Let ${name} take migrations again` : `Offer ${name} as a destination to nobody`} (M in the host list)`}
      >
        {pending && <span className="spinner" aria-hidden="true" />}
        Maintenance mode
      </button>
      {latest?.state === 'ended' && (
        <button type="button" className="button button--quiet" onClick={() => openEvacuation(latest.id)}>
          Last evacuation
        </button>
      )}
      {running !== undefined ? (
        <button type="button" className="button button--primary" onClick={() => openEvacuation(running)}>
          Evacuation of {name}
        </button>
      ) : (
        // Suggested (the primary button) once the host is in maintenance: that is when it is emptied.
        <button type="button" className={`button${inMaintenance ? ' button--primary' : ''}`} onClick={() => void openEvacuationPlan(id)} aria-haspopup="dialog">
          Evacuate…
        </button>
      )}
    </>
  );
}

function newestOf(list: readonly EvacuationView[]): EvacuationView | undefined {
  return list.reduce<EvacuationView | undefined>((a, v) => (a === undefined || v.startedAt > a.startedAt ? v : a), undefined);
}
