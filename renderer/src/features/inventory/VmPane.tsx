/** The VMs of the selected host (or of all hosts): filters, then the virtualised grid, or why there is nothing. */
import { useMemo } from 'react';
import { useActions, useFerry } from '../../store/react';
import { formatAge, formatTimestamp } from '../../view/format';
import { collectRows, countByState, filterRows, sortRows, staleVmList } from '../../view/vmRows';
import { useNow } from '../common/useNow';
import { VmFilters } from './VmFilters';
import { VmTable } from './VmTable';

export function VmPane() {
  const hosts = useFerry((s) => s.inventory.hosts);
  const hostId = useFerry((s) => s.ui.selectedHostId);
  const filter = useFerry((s) => s.ui.filter);
  const sort = useFerry((s) => s.ui.sort);
  const { setFilterText, setStateFilter } = useActions();

  const all = useMemo(() => collectRows(hosts, hostId), [hosts, hostId]);
  const counts = useMemo(() => countByState(all), [all]);
  const rows = useMemo(() => sortRows(filterRows(all, filter), sort), [all, filter, sort]);

  const host = hostId === null ? undefined : hosts[hostId];
  const notLoaded = host !== undefined && host.vms === undefined;
  const stale = host === undefined ? undefined : staleVmList(host);
  const staleHosts = useMemo(() => (hostId === null ? Object.values(hosts).filter((h) => staleVmList(h) !== undefined).map((h) => h.record.name) : []), [hosts, hostId]);
  const now = useNow();
  return (
    <div className="vm-pane">
      {stale !== undefined && host !== undefined && (
        <p className="banner banner--warning vm-pane__stale" role="status" data-testid="vms-stale">
          Stale list: these are the VMs {host.record.name} had when Ferry last read them
          {stale.lastRead === undefined ? '' : ` (${formatTimestamp(stale.lastRead)}, ${formatAge(stale.lastRead, now)})`}; it cannot read them now: {stale.why}
        </p>
      )}
      {staleHosts.length > 0 && (
        <p className="banner banner--warning vm-pane__stale" role="status" data-testid="vms-stale">
          Stale VM lists from {staleHosts.join(', ')}: their rows show what Ferry last read, not what runs there now.
        </p>
      )}
      {!notLoaded && <VmFilters shown={rows.length} total={all.length} counts={counts} />}
      {notLoaded ? (
        <p className="empty-note" role="status">
          {host.connection.state === 'connecting' || host.connection.state === 'connected'
            ? `Loading the VMs of ${host.record.name}…`
            : `No VM list for ${host.record.name}: Ferry has not been able to read it yet.`}
        </p>
      ) : all.length === 0 ? (
        <p className="empty-note">{host === undefined ? 'No VMs on any host.' : `${host.record.name} has no VMs defined.`}</p>
      ) : rows.length === 0 ? (
        <p className="empty-note">
          No VMs match these filters.{' '}
          <button
            type="button"
            className="button button--link"
            onClick={() => {
              setFilterText('');
              setStateFilter('all');
            }}
          >
            Clear filters
          </button>
        </p>
      ) : (
        <VmTable rows={rows} />
      )}
    </div>
  );
}
