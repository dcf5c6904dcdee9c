/**
 * The VM table's rows: flattened from hosts, filtered and sorted. Pure; rows of a host that did not change keep
 * their identity (cached per HostView object) so memoised rows do not re-render on another host's refresh.
 */
import type { HostView, VmState, VmSummary } from '../../../shared/inventory/types';
import { VM_STATE_ORDER } from './format';
import { compareText, sortHosts } from './hosts';

export interface VmRow {
  /** Stable across refreshes: `<hostId>/<vm name>` (libvirt names are unique per host). */
  readonly key: string;
  readonly hostId: string;
  readonly hostName: string;
  readonly vm: VmSummary;
  /** Set when the host's VM list is not current (see staleVmList): the row may show a VM that is no longer there. */
  readonly stale?: StaleVmList;
}

export interface StaleVmList {
  /** When the list was last read (ISO), if ever in this run. */
  readonly lastRead?: string;
  /** Why it cannot be read now (the connection state's reason). */
  readonly why: string;
}

/**
 * A host's VM list is stale when Ferry holds one but the host's connection no longer lets it read VMs (libvirt
 * unreachable, host unreachable...): what it shows is what the host had at `lastRead`, not what it has now.
 */
export function staleVmList(h: HostView): StaleVmList | undefined {
  const c = h.connection;
  if (h.vms === undefined || c.state === 'connected' || c.state === 'connecting' || c.state === 'idle') return undefined;
  return { ...(h.refreshedAt !== undefined ? { lastRead: h.refreshedAt } : {}), why: c.reason };
}

export type VmColumn = 'name' | 'state' | 'memory' | 'vcpus' | 'persistent' | 'autostart' | 'host';
export type SortDirection = 'asc' | 'desc';
export interface VmSort {
  readonly column: VmColumn;
  readonly direction: SortDirection;
}
export interface VmFilter {
  /** Case-insensitive substring of the VM name; whitespace around it ignored. */
  readonly text: string;
  /** 'all' or one libvirt state. */
  readonly state: VmState | 'all';
}

export const VM_COLUMNS: readonly { readonly id: VmColumn; readonly label: string; readonly numeric: boolean }[] = [
  { id: 'name', label: 'Name', numeric: false },
  { id: 'state', label: 'State', numeric: false },
  { id: 'memory', label: 'Memory', numeric: true },
  { id: 'vcpus', label: 'vCPUs', numeric: true },
  { id: 'persistent', label: 'Persistence', numeric: false },
  { id: 'autostart', label: 'Autostart', numeric: false },
  { id: 'host', label: 'Host', numeric: false },
];

export function rowKey(hostId: string, vmName: string): string {
  return `${hostId}/${vmName}`;
}

const rowCache = new WeakMap<HostView, VmRow[]>();

function rowsOfHost(h: HostView): VmRow[] {
  const cached = rowCache.get(h);
  if (cached) return cached;
  const stale = staleVmList(h);
  const rows = (h.vms ?? []).map((vm) => ({ key: rowKey(h.record.id, vm.name), hostId: h.record.id, hostName: h.record.name, vm, ...(stale ? { stale } : {}) }));
  rowCache.set(h, rows);
  return rows;
}

/** All VMs of the selected host, or of every host when `hostId` is null (hosts in name order). */
export function collectRows(hosts: Readonly<Record<string, HostView>>, hostId: string | null): VmRow[] {
  if (hostId !== null) {
    const h = hosts[hostId];
    return h ? rowsOfHost(h) : [];
  }
  return sortHosts(Object.values(hosts)).flatMap(rowsOfHost);
}

export function filterRows(rows: readonly VmRow[], f: VmFilter): readonly VmRow[] {
  const text = f.text.trim().toLowerCase();
  if (text === '' && f.state === 'all') return rows;
  return rows.filter((r) => (f.state === 'all' || r.vm.state === f.state) && (text === '' || r.vm.name.toLowerCase().includes(text)));
}

const stateRank = new Map(VM_STATE_ORDER.map((s, i) => [s, i]));

/** Unknown values (not loaded yet) sort last in both directions. */
function compareOptional<T>(a: T | undefined, b: T | undefined, cmp: (x: T, y: T) => number, dir: number): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return dir * cmp(a, b);
}

const num = (x: number, y: number) => x - y;
const bool = (x: boolean, y: boolean) => Number(y) - Number(x);

function compareBy(column: VmColumn, dir: number): (a: VmRow, b: VmRow) => number {
  switch (column) {
    case 'name':
      return (a, b) => dir * compareText(a.vm.name, b.vm.name);
    case 'state':
      return (a, b) => dir * ((stateRank.get(a.vm.state) ?? 99) - (stateRank.get(b.vm.state) ?? 99));
    case 'memory':
      return (a, b) => compareOptional(a.vm.memoryBytes, b.vm.memoryBytes, num, dir);
    case 'vcpus':
      return (a, b) => compareOptional(a.vm.vcpus, b.vm.vcpus, num, dir);
    case 'persistent':
      return (a, b) => compareOptional(a.vm.persistent, b.vm.persistent, bool, dir);
    case 'autostart':
      return (a, b) => compareOptional(a.vm.autostart, b.vm.autostart, bool, dir);
    case 'host':
      return (a, b) => dir * compareText(a.hostName, b.hostName);
  }
}

/** Sorted copy; ties fall back to VM name then host, so the order is total and refreshes do not reshuffle rows. */
export function sortRows(rows: readonly VmRow[], s: VmSort): VmRow[] {
  const primary = compareBy(s.column, s.direction === 'asc' ? 1 : -1);
  return [...rows].sort(
    (a, b) => primary(a, b) || compareText(a.vm.name, b.vm.name) || compareText(a.hostName, b.hostName) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/** Clicking a column header: a new column sorts ascending (numbers descending: biggest first), the same one flips. */
export function nextSort(current: VmSort, column: VmColumn): VmSort {
  if (current.column === column) return { column, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  const numeric = VM_COLUMNS.find((c) => c.id === column)?.numeric ?? false;
  return { column, direction: numeric ? 'desc' : 'asc' };
}

/** How many VMs are in each state (for the state filter's option labels). */
export function countByState(rows: readonly VmRow[]): Map<VmState, number> {
  const m = new Map<VmState, number>();
  for (const r of rows) m.set(r.vm.state, (m.get(r.vm.state) ?? 0) + 1);
  return m;
}
