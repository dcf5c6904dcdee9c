/** Filter by name (press "/" anywhere to jump here) and by state, with the count of what is shown. */
import { useEffect, useRef } from 'react';
import type { VmState } from '../../../../shared/inventory/types';
import { useActions, useFerry } from '../../store/react';
import { countOf, formatCount, VM_STATE_LABELS, VM_STATE_ORDER } from '../../view/format';

interface Props {
  readonly shown: number;
  readonly total: number;
  readonly counts: ReadonlyMap<VmState, number>;
}

export function VmFilters({ shown, total, counts }: Props) {
  const filter = useFerry((s) => s.ui.filter);
  const { setFilterText, setStateFilter } = useActions();
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.closest('input, textarea, select, dialog') !== null || t.isContentEditable)) return;
      e.preventDefault();
      inputRef.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="toolbar" role="search" aria-label="Filter virtual machines">
      <input
        ref={inputRef}
        type="search"
        className="input input--search"
        aria-label="Filter VMs"
        placeholder="Filter by name  ( / )"
        value={filter.text}
        onChange={(e) => setFilterText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && filter.text !== '') {
            e.preventDefault();
            setFilterText('');
          }
        }}
      />
      <select className="input" aria-label="Filter by state" value={filter.state} onChange={(e) => setStateFilter(e.target.value as VmState | 'all')}>
        <option value="all">All states</option>
        {VM_STATE_ORDER.map((s) => (
          <option key={s} value={s}>
            {VM_STATE_LABELS[s]} ({formatCount(counts.get(s) ?? 0)})
          </option>
        ))}
      </select>
      <span className="toolbar__count muted" aria-live="polite">
        {shown === total ? countOf(total, 'VM') : `${formatCount(shown)} of ${countOf(total, 'VM')}`}
      </span>
    </div>
  );
}
