/**
 * Where each VM of a host goes when the host is emptied, pure: the plan's rows before the admin changes any.
 *
 * A destination must be another host, not in maintenance, connected, CPU-compatible (`virsh hypervisor-cpu-compare`'s
 * verdict, gathered by main) and have the VM's memory free counting what the plan already sends there. Among those the
 * least loaded wins (most memory free after). Every other host is listed as a candidate with the sentence saying why
 * it was not chosen, so the admin can pick another by hand. Nothing is dropped: a VM that fits nowhere is a row with
 * a problem, at the top.
 */
import type { HostView, VmSummary } from '../inventory/types';
import { offlineOptions, type MigrationOptions, type MigrationProfile } from '../migration/options';
import type { EvacuationCandidate, PlanRow, RowPrediction, RowProblem } from './schema';

/** How one VM's CPU fits one destination, from `virsh hypervisor-cpu-compare` (named apart from the parser's CpuVerdict). */
export type CpuFit = 'compatible' | { readonly incompatible: string } | 'unknown';

export interface PlacementInput {
  /** The host to empty. */
  readonly source: HostView;
  /** Every other host in the inventory (the source, if present here, is never chosen). */
  readonly others: readonly HostView[];
  /** By VM name, then destination host id; absent = 'unknown'. */
  readonly cpu: Readonly<Record<string, Readonly<Record<string, CpuFit>>>>;
  /** By VM name, then destination host id, where the model could say something. */
  readonly predictions: Readonly<Record<string, Readonly<Record<string, RowPrediction>>>>;
  /** Options of a live row without a recommended profile (the migrate dialog's default profile's). */
  readonly defaultOptions: MigrationOptions;
  /** Where a prediction's recommended profile name is looked up (built-in and the admin's). */
  readonly profiles: readonly MigrationProfile[];
}

const GiB = 1024 ** 3;

/**
 * Memory kept back on a destination for the host itself: its kernel, libvirtd, and each QEMU process's own overhead
 * beyond the guest's RAM (page tables, device emulation, migration buffers), which grows with the host. 10 % with a
 * 1 GiB floor is the same order as oVirt's reserved host memory plus its per-guest overhead, and errs on the side of
 * refusing a placement that would push the destination into swap during the migration.
 */
export function reservedBytes(hostMemoryBytes: number): number {
  return Math.max(GiB, Math.round(hostMemoryBytes * 0.1));
}

/** A VM occupies memory unless it is shut off (a paused or crashed QEMU keeps its RAM). */
const occupiesMemory = (vm: VmSummary): boolean => vm.state !== 'shut-off';

/** Free memory of a host before the plan sends anything, or undefined when its facts are not known yet. */
export function freeBytes(host: HostView): number | undefined {
  if (host.facts === undefined) return undefined;
  const used = (host.vms ?? []).filter(occupiesMemory).reduce((s, v) => s + (v.memoryBytes ?? 0), 0);
  return host.facts.memoryBytes - used - reservedBytes(host.facts.memoryBytes);
}

const mib = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MiB`;

/** The sentence for a host that can never take anything from this plan, or undefined. */
function hostRefusal(host: HostView, sourceId: string): string | undefined {
  if (host.record.id === sourceId) return 'the host being emptied';
  if (host.record.maintenance !== undefined) return 'in maintenance';
  const c = host.connection;
  if (c.state !== 'connected') return 'reason' in c ? `not connected (${c.state}: ${c.reason})` : `not connected (${c.state})`;
  if (host.facts === undefined) return 'memory not known yet (not refreshed)';
  return undefined;
}

interface Choice {
  readonly host: HostView;
  readonly cpu: CpuFit;
  readonly prediction: RowPrediction | undefined;
  readonly freeAfter: number;
}

/** Lower is better: CPU known compatible, then predicted to converge, then the most memory left. */
function better(a: Choice, b: Choice): boolean {
  const cpuRank = (c: Choice): number => (c.cpu === 'compatible' ? 0 : 1);
  const convRank = (c: Choice): number => (c.prediction?.converges === 'no' ? 1 : 0);
  if (cpuRank(a) !== cpuRank(b)) return cpuRank(a) < cpuRank(b);
  if (convRank(a) !== convRank(b)) return convRank(a) < convRank(b);
  return a.freeAfter > b.freeAfter;
}

/** Live rows keep the VM as it is: a transient one stays transient (nothing to define, nothing to undefine). */
function liveOptions(vm: VmSummary, base: MigrationOptions): MigrationOptions {
  if (vm.persistent === true) return { ...base };
  const { persistent: _p, undefineSource: _u, ...rest } = base;
  return rest;
}

/** Problem rows first (most serious first), then quickest predicted first, unknown times last. */
const PROBLEM_ORDER: Readonly<Record<RowProblem, number>> = {
  'no-destination': 0,
  'will-not-converge': 1,
  'cpu-unknown': 2,
  'not-predictable': 3,
  stopped: 4,
};

function orderRows(rows: readonly PlanRow[]): PlanRow[] {
  const key = (r: PlanRow): [number, number] => [
    r.problem === undefined ? 9 : PROBLEM_ORDER[r.problem.kind],
    r.prediction?.totalMs ?? Infinity,
  ];
  return [...rows].sort((a, b) => {
    const [pa, ta] = key(a);
    const [pb, tb] = key(b);
    if (pa !== pb) return pa - pb;
    return ta === tb ? 0 : ta < tb ? -1 : 1;
  });
}

/** Destination for each VM of `source` (see the rules above), rows ordered: problems first, then quickest first. */
export function planRows(input: PlacementInput): PlanRow[] {
  const sourceId = input.source.record.id;
  const hosts = input.others.filter((h) => h.record.id !== sourceId);
  // What the plan has sent to each host so far (live rows only: a stopped VM takes no memory where it lands).
  const free = new Map<string, number>();
  for (const h of hosts) {
    const f = freeBytes(h);
    if (f !== undefined) free.set(h.record.id, f);
  }
  // Biggest first, so a large VM is not left without room by small ones placed before it.
  const vms = [...(input.source.vms ?? [])].sort((a, b) => (b.memoryBytes ?? 0) - (a.memoryBytes ?? 0));
  const rows: PlanRow[] = [];
  for (const vm of vms) {
    const stopped = vm.state === 'shut-off';
    const need = stopped ? 0 : (vm.memoryBytes ?? 0);
    const candidates: EvacuationCandidate[] = [];
    let best: Choice | undefined;
    for (const h of hosts) {
      const id = h.record.id;
      const hostFree = free.get(id);
      const base = { hostId: id, hostName: h.record.name };
      const refusal = hostRefusal(h, sourceId);
      if (refusal !== undefined || hostFree === undefined) {
        candidates.push({ ...base, refusal: refusal ?? 'memory not known yet', ...(hostFree !== undefined ? { freeBytesAfter: hostFree } : {}) });
        continue;
      }
      const cpu = input.cpu[vm.name]?.[id] ?? 'unknown';
      if (typeof cpu === 'object') {
        candidates.push({ ...base, refusal: `CPU incompatible: ${cpu.incompatible}`, freeBytesAfter: hostFree });
        continue;
      }
      const freeAfter = hostFree - need;
      if (freeAfter < 0) {
        candidates.push({ ...base, refusal: `not enough memory: ${mib(Math.max(0, hostFree))} free, ${mib(need)} needed`, freeBytesAfter: hostFree });
        continue;
      }
      candidates.push({ ...base, freeBytesAfter: freeAfter });
      const choice: Choice = { host: h, cpu, prediction: input.predictions[vm.name]?.[id], freeAfter };
      if (best === undefined || better(choice, best)) best = choice;
    }
    rows.push(rowFor(vm, stopped, best, candidates, input));
    if (best !== undefined) free.set(best.host.record.id, best.freeAfter);
  }
  return orderRows(rows);
}

function rowFor(vm: VmSummary, stopped: boolean, best: Choice | undefined, candidates: EvacuationCandidate[], input: PlacementInput): PlanRow {
  const persistent = vm.persistent === true;
  const head = {
    vm: vm.name,
    state: vm.state,
    persistent,
    ...(vm.memoryBytes !== undefined ? { memoryBytes: vm.memoryBytes } : {}),
    candidates,
  };
  if (stopped && !persistent) {
    // libvirt forgets a transient domain when it stops, so the inventory should never show one; said, not dropped.
    return { ...head, action: 'skip', options: {}, problem: { kind: 'stopped', message: `${vm.name} is stopped and has no persistent definition: nothing to move.` } };
  }
  if (best === undefined) {
    const why = candidates.length === 0 ? 'no other host in the inventory' : candidates.map((c) => `${c.hostName}: ${c.refusal ?? 'refused'}`).join('; ');
    return {
      ...head,
      action: 'skip',
      options: stopped ? offlineOptions(input.defaultOptions) : liveOptions(vm, input.defaultOptions),
      problem: { kind: 'no-destination', message: `No host can take ${vm.name}: ${why}.` },
    };
  }
  const destination = best.host.record.name;
  const withDestination = { ...head, destinationId: best.host.record.id };
  if (stopped) {
    return {
      ...withDestination,
      action: 'offline',
      options: offlineOptions(input.defaultOptions),
      problem: { kind: 'stopped', message: `${vm.name} is stopped: its definition can move to ${destination} with migrate --offline, or stay.` },
    };
  }
  const prediction = best.prediction;
  const profile = prediction?.profile !== undefined ? input.profiles.find((p) => p.name === prediction.profile) : undefined;
  const row: PlanRow = {
    ...withDestination,
    action: 'live',
    options: liveOptions(vm, profile?.options ?? input.defaultOptions),
    ...(prediction !== undefined ? { prediction } : {}),
  };
  const problem = liveProblem(vm.name, destination, best);
  return problem === undefined ? row : { ...row, problem };
}

function liveProblem(vm: string, destination: string, best: Choice): PlanRow['problem'] {
  const p = best.prediction;
  if (p?.converges === 'no') return { kind: 'will-not-converge', message: `${vm} is predicted not to converge to ${destination} with any allowed option: ${p.text}` };
  if (best.cpu === 'unknown') return { kind: 'cpu-unknown', message: `Whether ${destination}'s CPU can run ${vm} could not be checked; the migration may be refused.` };
  if (p === undefined || p.totalMs === undefined) {
    return { kind: 'not-predictable', message: p === undefined ? `No prediction for ${vm} to ${destination}.` : `${vm} to ${destination}: ${p.text}` };
  }
  return undefined;
}
