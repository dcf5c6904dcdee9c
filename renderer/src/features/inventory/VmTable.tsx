/**
 * The VM grid: sortable column headers, virtualised rows (only the visible ones are in the DOM, so thousands of VMs
 * stay fast), keyed by host/name so a refresh keeps scroll position and selection. Keyboard: focus the grid, then
 * arrows, Page Up/Down, Home/End move the selected row.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, type KeyboardEvent } from 'react';
import { useActions, useFerry } from '../../store/react';
import { VM_COLUMNS, type VmRow as Row } from '../../view/vmRows';
import { VmRow } from './VmRow';

const ROW_HEIGHT = 26;

export function VmTable({ rows }: { rows: readonly Row[] }) {
  const sort = useFerry((s) => s.ui.sort);
  const selectedKey = useFerry((s) => s.ui.selectedVmKey);
  const { sortBy, selectVm } = useActions();
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    getItemKey: (i) => rows[i]?.key ?? i,
  });
  const selectedIndex = useMemo(() => (selectedKey === null ? -1 : rows.findIndex((r) => r.key === selectedKey)), [rows, selectedKey]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget || rows.length === 0) return;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
    const at = selectedIndex;
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at < 0 ? 0 : at - 1,
      PageDown: at + page,
      PageUp: at - page,
      Home: 0,
      End: rows.length - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const i = Math.max(0, Math.min(rows.length - 1, to));
    const row = rows[i];
    if (row === undefined) return;
    selectVm(row.key);
    virtualizer.scrollToIndex(i, { align: 'auto' });
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div
      className="vm-grid"
      role="grid"
      aria-label="Virtual machines"
      aria-rowcount={rows.length + 1}
      aria-colcount={VM_COLUMNS.length}
      aria-multiselectable="false"
      tabIndex={0}
      onKeyDown={onKeyDown}
      {...(selectedIndex >= 0 ? { 'aria-activedescendant': `vm-row-${selectedIndex}` } : {})}
    >
      <div role="rowgroup" className="vm-grid__head">
        <div role="row" aria-rowindex={1} className="vm-row vm-row--head">
          {VM_COLUMNS.map((c) => {
            const active = sort.column === c.id;
            return (
              <div
                key={c.id}
                role="columnheader"
                aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
                className={`cell${c.numeric ? ' cell--num' : ''}`}
              >
                <button type="button" className="sort-button" onClick={() => sortBy(c.id)}>
                  {c.label}
                  <span className="sort-button__arrow" aria-hidden="true">
                    {active ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
                  </span>
                </button>
              </div>
            );
          })}
        </div>
      </div>
      <div role="rowgroup" className="vm-grid__body" ref={scrollRef}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            return (
              <VmRow
                key={row.key}
                row={row}
                index={item.index}
                selected={item.index === selectedIndex}
                onSelect={selectVm}
                offset={item.start}
                height={ROW_HEIGHT}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
