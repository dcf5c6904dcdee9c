/** Host list view-model: order and the one-line capacity summary. */
import type { HostView } from '../../../shared/inventory/types';
import { countOf, formatCount } from '../../../shared/count';

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Hosts by name, numerically (hv2 before hv10), then by id so equal names keep a stable order. */
export function sortHosts(hosts: Iterable<HostView>): HostView[] {
  return [...hosts].sort((a, b) => collator.compare(a.record.name, b.record.name) || (a.record.id < b.record.id ? -1 : 1));
}

export function compareText(a: string, b: string): number {
  return collator.compare(a, b);
}

export interface HostSummary {
  /** undefined: VMs not loaded yet. */
  readonly vmCount: number | undefined;
  readonly running: number;
  /** vCPUs and memory of running VMs against the host's own; the host's side undefined until facts arrive. */
  readonly vcpusUsed: number;
  readonly cpuCount: number | undefined;
  readonly memoryUsed: number;
  readonly memoryBytes: number | undefined;
}

export function hostSummary(h: HostView): HostSummary {
  let running = 0;
  let vcpusUsed = 0;
  let memoryUsed = 0;
  for (const vm of h.vms ?? []) {
    if (vm.state !== 'running' && vm.state !== 'paused' && vm.state !== 'idle') continue;
    running += 1;
    vcpusUsed += vm.vcpus ?? 0;
    memoryUsed += vm.memoryBytes ?? 0;
  }
  return { vmCount: h.vms?.length, running, vcpusUsed, cpuCount: h.facts?.cpuCount, memoryUsed, memoryBytes: h.facts?.memoryBytes };
}

/** `12 VMs (9 on)`, `vCPU 18/8`, `Mem 14.5/31.3 GiB`: three short strings for the host list item. */
export function summaryParts(s: HostSummary): { vms: string; cpu: string; mem: string } {
  const vms = s.vmCount === undefined ? 'VMs —' : `${countOf(s.vmCount, 'VM')} (${formatCount(s.running)} on)`;
  const cpu = s.cpuCount === undefined ? 'CPU —' : `vCPU ${s.vcpusUsed}/${s.cpuCount}`;
  const mem = s.memoryBytes === undefined ? 'Mem —' : `Mem ${memoryPair(s.memoryUsed, s.memoryBytes)}`;
  return { vms, cpu, mem };
}

/** `14.5/31 GiB`, `5.2/1 TiB`: both numbers in the unit of the host's total, at most one decimal. */
function memoryPair(used: number, total: number): string {
  const TiB = 1024 ** 4;
  const GiB = 1024 ** 3;
  const [unit, label] = total >= TiB ? [TiB, 'TiB'] : [GiB, 'GiB'];
  const fmt = (n: number) => String(Math.round((n / unit) * 10) / 10);
  return `${fmt(used)}/${fmt(total)} ${label}`;
}
