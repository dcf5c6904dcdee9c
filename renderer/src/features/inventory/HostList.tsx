/**
 * The hosts pane: "All hosts" then each host, as a listbox. Arrow keys, Home and End move the selection (which
 * follows focus); each host shows its connection state, VM count and capacity, and the reason when it is not fine.
 * F2 or E on a host opens its edit form (the header's "Edit host" button does the same); M toggles its
 * maintenance mode (the header's "Maintenance mode").
 */
import { useRef, type KeyboardEvent } from 'react';
import { useActions, useFerry, useFerryShallow } from '../../store/react';
import { sortHosts } from '../../view/hosts';
import { countOf } from '../../view/format';
import { HostListItem } from './HostListItem';

export function HostList() {
  const ids = useFerryShallow((s) => sortHosts(Object.values(s.inventory.hosts)).map((h) => h.record.id));
  const totalVms = useFerry((s) => Object.values(s.inventory.hosts).reduce((n, h) => n + (h.vms?.length ?? 0), 0));
  const selected = useFerry((s) => s.ui.selectedHostId);
  const { selectHost, openEditHost, setMaintenance } = useActions();
  const inMaintenance = useFerry((s) => (selected === null ? false : s.inventory.hosts[selected]?.record.maintenance !== undefined));
  const listRef = useRef<HTMLUListElement>(null);

  const options: (string | null)[] = [null, ...ids];
  const move = (to: number) => {
    const next = options[Math.max(0, Math.min(options.length - 1, to))];
    if (next === undefined) return;
    selectHost(next);
    // Focus follows the selection (roving tabindex): the option re-renders with tabIndex 0, then takes focus.
    requestAnimationFrame(() => listRef.current?.querySelector<HTMLElement>('[role="option"][aria-selected="true"]')?.focus());
  };
  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if ((e.key === 'F2' || e.key === 'e' || e.key === 'E') && selected !== null && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      openEditHost(selected);
      return;
    }
    if ((e.key === 'm' || e.key === 'M') && selected !== null && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      void setMaintenance(selected, !inMaintenance);
      return;
    }
    const at = options.indexOf(selected);
    const keys: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: options.length - 1 };
    const to = keys[e.key];
    if (to === undefined) return;
    e.preventDefault();
    move(to);
  };

  return (
    <section className="host-pane" role="region" aria-label="Hosts">
      <h2 className="pane-title">
        Hosts <span className="muted">{ids.length}</span>
      </h2>
      <ul className="host-list" role="listbox" aria-label="Hosts" ref={listRef} onKeyDown={onKeyDown}>
        <li
          role="option"
          aria-selected={selected === null}
          tabIndex={selected === null ? 0 : -1}
          className="host-item host-item--all"
          onClick={() => selectHost(null)}
        >
          <span className="host-item__name">All hosts</span>
          <span className="host-item__meta muted">{countOf(totalVms, 'VM')}</span>
        </li>
        {ids.map((id) => (
          <HostListItem key={id} id={id} selected={selected === id} onSelect={selectHost} />
        ))}
      </ul>
    </section>
  );
}
