/**
 * CPU pinning of a VM against the host's CPUs. QEMU's live-migration thread is one of its emulator threads and runs
 * wherever the emulator pinning lets it; when that set overlaps the CPUs pinned to the guest's vCPUs, sending RAM
 * competes with the guest itself for those cores (and a busy guest dirties memory faster than the thread can send).
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { NodeInfo } from '../parsers/virsh-host';
import { formatCpuList, type EmulatorPin, type VcpuPin } from '../parsers/virsh-pinning';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

export function cpuPinningFinding(vm: string, vcpus: Result<readonly VcpuPin[], FerryError>, emulator: Result<EmulatorPin, FerryError>, node: Result<NodeInfo, FerryError>): Finding {
  const title = `CPU pinning of ${vm}`;
  if (!vcpus.ok) return errorFinding('cpu-pinning', vm, title, vcpus.error);
  if (!emulator.ok) return errorFinding('cpu-pinning', vm, title, emulator.error);
  if (!node.ok) return errorFinding('cpu-pinning', vm, title, node.error);
  const hostCpus = Array.from({ length: node.value.cpus }, (_, i) => i);
  const all = formatCpuList(hostCpus);
  const isAll = (cpus: readonly number[]) => hostCpus.every((c) => cpus.includes(c));
  const pinned = vcpus.value.filter((v) => !isAll(v.cpus));
  const vcpuText = vcpus.value.map((v) => `vCPU ${v.vcpu} -> ${formatCpuList(v.cpus)}`).join(', ');
  const emu = formatCpuList(emulator.value.cpus);
  const facts = `Host CPUs ${all} (${node.value.cpus}); ${vm}: ${vcpuText}; emulator threads -> ${emu}.`;
  if (pinned.length === 0) {
    return finding('cpu-pinning', vm, 'pass', title, `${facts} The vCPUs are not pinned, so the scheduler keeps the migration thread off busy cores.`);
  }
  const vcpuCpus = new Set(pinned.flatMap((v) => v.cpus));
  const overlap = emulator.value.cpus.filter((c) => vcpuCpus.has(c));
  const free = hostCpus.filter((c) => !vcpuCpus.has(c));
  if (overlap.length === 0) {
    return finding('cpu-pinning', vm, 'pass', title, `${facts} The emulator threads (and QEMU's migration thread) run on CPUs no vCPU is pinned to.`);
  }
  const fix =
    free.length > 0
      ? `${shLine`virsh emulatorpin --domain ${vm} --cpulist ${formatCpuList(free)} --live --config`} (CPUs no vCPU of ${vm} is pinned to).`
      : `Every host CPU is pinned to a vCPU: leave at least one core out of the vCPU pinning (${shLine`virsh vcpupin --domain ${vm}`} VCPU CPULIST --live --config) and pin the emulator there (${shLine`virsh emulatorpin --domain ${vm}`} --cpulist CPU --live --config).`;
  return finding('cpu-pinning', vm, 'warn', title, `${facts} The emulator threads may run on ${formatCpuList(overlap)}, pinned to vCPUs: QEMU's migration thread competes with the guest there.`, { fix });
}
