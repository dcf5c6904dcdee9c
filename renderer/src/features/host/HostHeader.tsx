/**
 * The selected host's title line: name, state, address, last refresh, and its actions (Refresh, Edit, maintenance
 * mode and Evacuate, Remove host).
 */
import { useActions, useFerry } from '../../store/react';
import { formatAge, formatTimestamp } from '../../view/format';
import { StateBadge } from '../common/StateBadge';
import { useNow } from '../common/useNow';
import { HostEvacuationActions, MaintenanceBadge } from '../evacuate/HostEvacuationActions';

export function HostHeader({ id, titleId }: { id: string; titleId: string }) {
  const host = useFerry((s) => s.inventory.hosts[id]);
  const refreshing = useFerry((s) => s.inventory.pending[id] === 'refreshing');
  const { refreshHost, openRemoveHost, openEditHost } = useActions();
  const now = useNow();
  if (host === undefined) return null;
  const { record } = host;
  return (
    <header className="main-pane__header host-header" data-testid="host-header">
      <h2 id={titleId}>{record.name}</h2>
      <StateBadge connection={host.connection} />
      <MaintenanceBadge record={record} />
      <span className="mono muted">
        {record.user}@{record.address}:{record.port}
      </span>
      <span className="muted" title={formatTimestamp(host.refreshedAt)} data-testid="last-refresh">
        refreshed {formatAge(host.refreshedAt, now)}
      </span>
      <span className="spacer" />
      <button type="button" className="button" onClick={() => void refreshHost(id)} disabled={refreshing} aria-busy={refreshing}>
        {refreshing && <span className="spinner" aria-hidden="true" />}
        Refresh
      </button>
      <button type="button" className="button" onClick={() => openEditHost(id)} aria-keyshortcuts="F2" title="Edit host (F2 or E in the host list)">
        Edit host
      </button>
      <HostEvacuationActions id={id} />
      <button type="button" className="button button--danger-quiet" onClick={() => openRemoveHost(id)}>
        Remove host
      </button>
    </header>
  );
}
