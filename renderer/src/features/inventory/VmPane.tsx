/** The VMs of the selected host (or of all hosts): filters, then the virtualised grid, or why there is nothing. */
import { useMemo } from 'react';
import { useActions, useFerry } from '../../store/react';
import { collectRows, countByState, filterRows, sortRows } from '../../view/vmRows';
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
  return (
    <div className="vm-pane">
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
