/**
 * The body of an evacuation table: every row up to a few hundred, past that only the visible ones
 * (@tanstack/react-virtual, as the VM grid), since a host can carry thousands of VMs.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, type CSSProperties, type ReactNode } from 'react';

/** Rows drawn all at once up to this many; past it, only the visible ones. */
export const PLAIN_ROWS = 200;

export interface VirtualRowsProps {
  readonly count: number;
  readonly keyOf: (index: number) => string;
  /** Height of row `index`, px (an estimate; rows are placed by it). */
  readonly heightOf: (index: number) => number;
  /** Row `index`; `style` places it when the rows are virtual. */
  readonly row: (index: number, style?: CSSProperties) => ReactNode;
}

export function VirtualRows({ count, keyOf, heightOf, row }: VirtualRowsProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtual = count > PLAIN_ROWS;
  const virtualizer = useVirtualizer({ count: virtual ? count : 0, getScrollElement: () => scrollRef.current, estimateSize: heightOf, overscan: 8, getItemKey: keyOf });
  return (
    <div role="rowgroup" className={`evac-table__body${virtual ? ' evac-table__body--virtual' : ''}`} ref={scrollRef}>
      {virtual ? (
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => row(item.index, { position: 'absolute', top: item.start, left: 0, right: 0, height: item.size }))}
        </div>
      ) : (
        Array.from({ length: count }, (_, i) => row(i))
      )}
    </div>
  );
}
