/**
 * One host in the hosts pane. Named by the host's name alone (aria-labelledby); the rest is its description. A drop
 * target for drag-to-migrate (features/migrate/dnd.tsx).
 */
import { memo } from 'react';
import { useFerry } from '../../store/react';
import { connectionBadge } from '../../view/connection';
import { hostSummary, summaryParts } from '../../view/hosts';
import { StateBadge } from '../common/StateBadge';
import { useHostDrop } from '../migrate/dnd';
import { MaintenanceBadge } from '../evacuate/HostEvacuationActions';

interface Props {
  readonly id: string;
  readonly selected: boolean;
  readonly onSelect: (id: string) => void;
}

export const HostListItem = memo(function HostListItem({ id, selected, onSelect }: Props) {
  const host = useFerry((s) => s.inventory.hosts[id]);
  const drop = useHostDrop(id);
  if (host === undefined) return null;
  const badge = connectionBadge(host.connection);
  const parts = summaryParts(hostSummary(host));
  const domId = `host-${id}`;
  return (
    <li
      role="option"
      id={domId}
      aria-selected={selected}
      aria-labelledby={`${domId}-name`}
      aria-describedby={`${domId}-desc`}
      tabIndex={selected ? 0 : -1}
      data-state={host.connection.state}
      ref={drop.ref}
      className={`host-item tone-${badge.tone}${drop.className}`}
      {...(drop.refusal !== null ? { 'data-drop-refused': drop.refusal } : {})}
      onClick={() => onSelect(id)}
    >
      <div className="host-item__top">
        <span className="host-item__name" id={`${domId}-name`}>
          {host.record.name}
        </span>
        <StateBadge connection={host.connection} />
        <MaintenanceBadge record={host.record} />
      </div>
      <div id={`${domId}-desc`}>
        <div className="host-item__meta muted mono">
          {host.record.user}@{host.record.address}
          {host.record.port === 22 ? '' : `:${host.record.port}`}
        </div>
        <div className="host-item__meta">
          <span>{parts.vms}</span>
          <span>{parts.cpu}</span>
          <span>{parts.mem}</span>
        </div>
        {badge.reason !== undefined && badge.state !== 'idle' && (
          <div className="host-item__reason" title={badge.detail ?? badge.reason}>
            {badge.reason}
          </div>
        )}
        {drop.refusal !== null && drop.isOver && (
          <div className="host-item__reason" role="status">
            {drop.refusal}
          </div>
        )}
        {host.problem !== undefined && (
          <div className="host-item__reason" title={host.problem.detail ?? host.problem.message}>
            {host.problem.message}
          </div>
        )}
      </div>
    </li>
  );
});
