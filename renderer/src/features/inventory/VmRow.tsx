/**
 * One VM in the table. Kept small and free of table plumbing (position and selection come in as props) so the
 * migrate view can make it draggable without touching the grid: it is a drag source for drag-to-migrate.
 */
import { memo } from 'react';
import { formatMemory, formatYesNo, VM_STATE_LABELS } from '../../view/format';
import type { VmRow as Row } from '../../view/vmRows';
import { useVmDrag } from '../migrate/dnd';

interface Props {
  readonly row: Row;
  readonly index: number;
  readonly selected: boolean;
  /** Pixels from the top of the scrolled body (the grid is virtualised). */
  readonly offset: number;
  readonly height: number;
  readonly onSelect: (key: string) => void;
}

export const VmRow = memo(function VmRow({ row, index, selected, offset, height, onSelect }: Props) {
  const { vm } = row;
  const drag = useVmDrag(row.key, row.hostId, vm.name);
  return (
    <div
      ref={drag.ref}
      {...drag.props}
      role="row"
      id={`vm-row-${index}`}
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-key={row.key}
      className={`vm-row${selected ? ' is-selected' : ''}${index % 2 ? ' is-odd' : ''}${row.stale ? ' is-stale' : ''}`}
      {...(row.stale ? { 'data-stale': 'true', title: `Stale: last read ${row.stale.lastRead ?? 'before'}; ${row.stale.why}` } : {})}
      style={{ height, transform: `translateY(${offset}px)` }}
      onClick={() => onSelect(row.key)}
    >
      <div role="gridcell" className="cell cell--name" title={vm.name}>
        {vm.name}
      </div>
      <div role="gridcell" className="cell">
        <span className={`vm-state vm-state--${vm.state}`}>
          <span className="vm-state__dot" aria-hidden="true" />
          {VM_STATE_LABELS[vm.state]}
        </span>
      </div>
      <div role="gridcell" className="cell cell--num">
        {formatMemory(vm.memoryBytes)}
      </div>
      <div role="gridcell" className="cell cell--num">
        {vm.vcpus ?? '—'}
      </div>
      <div role="gridcell" className="cell">
        {formatYesNo(vm.persistent, 'persistent', 'transient')}
      </div>
      <div role="gridcell" className="cell">
        {formatYesNo(vm.autostart, 'yes', 'no')}
      </div>
      <div role="gridcell" className="cell" title={row.hostName}>
        {row.hostName}
        {row.stale && <span className="stale-tag"> (stale)</span>}
      </div>
    </div>
  );
});
