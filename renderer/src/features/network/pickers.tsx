/**
 * The pickers the host tabs share (Network path, Readiness audit, Tuning, Troubleshooting): the inventory's other
 * hosts and this host's VMs, selected so that the lists are stable between renders (a selector returning new
 * objects each time made these tabs re-render until React gave up), and one select for either.
 */
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useFerry } from '../../store/react';

export interface PickerOption {
  readonly value: string;
  readonly label: string;
}

/** Every host but this one, by name; a new list only when the inventory's hosts change. */
export function usePeerOptions(hostId: string): readonly PickerOption[] {
  const hosts = useFerry((s) => s.inventory.hosts);
  return useMemo(
    () => Object.values(hosts).filter((h) => h.record.id !== hostId).map((h) => ({ value: h.record.id, label: h.record.name })),
    [hosts, hostId],
  );
}

/** The names of this host's VMs as the inventory last read them. */
export function useVmOptions(hostId: string): readonly PickerOption[] {
  const names = useFerry(useShallow((s) => (s.inventory.hosts[hostId]?.vms ?? []).map((v) => v.name)));
  return useMemo(() => names.map((n) => ({ value: n, label: n })), [names]);
}

export function PickerSelect(props: {
  readonly id: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly disabled: boolean;
  /** The first entry, value '': what choosing nothing means here. */
  readonly none: string;
  readonly options: readonly PickerOption[];
  readonly 'aria-label'?: string;
}) {
  return (
    <select id={props.id} aria-label={props['aria-label']} className="input" value={props.value} onChange={(e) => props.onChange(e.target.value)} disabled={props.disabled}>
      <option value="">{props.none}</option>
      {props.options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}
