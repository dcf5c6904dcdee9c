/**
 * virsh outputs only pre-flight reads: `hypervisor-cpu-compare --error` and `nodememstats`.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { virshError, virshErrorLines } from './virsh-error';
import { compact, contentLines, emptyOutput, fail, splitLabel } from './text';
import { parseVirshVersion, type VirshVersion } from './virsh-host';

export type CpuVerdict = 'identical' | 'superset' | 'incompatible';

export interface CpuComparison {
  readonly verdict: CpuVerdict;
  /** virsh's own sentence (or libvirt's reason for an incompatible CPU). */
  readonly message: string;
  /** With `--error`: the features the host lacks (`Host CPU does not provide required features: pni, svm`). */
  readonly missingFeatures?: readonly string[];
}

/**
 * `virsh hypervisor-cpu-compare --error FILE`. Compatible CPUs print a sentence (rc 0); with `--error` an
 * incompatible one is an `error:` pair, the second line saying why:
 *   error: Failed to compare hypervisor CPU with /dev/stdin
 *   error: the CPU is incompatible with host CPU: Host CPU does not provide required features: pni, svm
 * Without `--error` it is a sentence: `CPU described in FILE is incompatible with the CPU provided by hypervisor ...`.
 */
export function parseCpuCompare(text: string): Result<CpuComparison, FerryError> {
  const errors = virshErrorLines(text);
  const reason = errors.find((l) => /the CPU is incompatible with host CPU/.test(l));
  if (reason !== undefined) {
    const features = /does not provide required features: (.+)$/.exec(reason)?.[1];
    return ok(
      compact<CpuComparison>({
        verdict: 'incompatible',
        message: reason,
        missingFeatures: features?.split(/,\s*/).filter((f) => f !== ''),
      }),
    );
  }
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  const line = lines[0]?.trim();
  if (line === undefined) return emptyOutput('virsh hypervisor-cpu-compare');
  if (/ is identical to /.test(line)) return ok({ verdict: 'identical', message: line });
  if (/ is a superset of /.test(line)) return ok({ verdict: 'superset', message: line });
  if (/ is incompatible with /.test(line)) return ok({ verdict: 'incompatible', message: line });
  return fail('parse.unrecognised', 'virsh hypervisor-cpu-compare printed an unknown verdict.', line);
}

export interface NodeMemoryStats {
  readonly totalKiB: number;
  readonly freeKiB: number;
  readonly buffersKiB?: number;
  readonly cachedKiB?: number;
}

const MEM_LABELS: Readonly<Record<string, keyof NodeMemoryStats>> = {
  total: 'totalKiB',
  free: 'freeKiB',
  buffers: 'buffersKiB',
  cached: 'cachedKiB',
};

/** `virsh nodememstats`: `total  :  24684092 KiB` lines. */
export function parseNodeMemStats(text: string): Result<NodeMemoryStats, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('virsh nodememstats');
  const found: Partial<Record<keyof NodeMemoryStats, number>> = {};
  for (const line of lines) {
    const kv = splitLabel(line);
    if (!kv) return fail('parse.unrecognised', 'A nodememstats line is not "name : N KiB".', line);
    const key = MEM_LABELS[kv.label];
    // Other kernels' fields (e.g. `active`, `inactive` on some hosts) are not needed here.
    if (key === undefined) continue;
    const m = /^(\d+) KiB$/.exec(kv.value);
    if (!m) return fail('parse.bad-value', `nodememstats: "${kv.label}" is not a whole number of KiB.`, line);
    found[key] = Number(m[1]);
  }
  if (found.totalKiB === undefined || found.freeKiB === undefined) {
    return err(ferryError('parse.missing-field', 'nodememstats did not print total and free memory.', lines.join('\n')));
  }
  return ok(
    compact<NodeMemoryStats>({
      totalKiB: found.totalKiB,
      freeKiB: found.freeKiB,
      buffersKiB: found.buffersKiB,
      cachedKiB: found.cachedKiB,
    }),
  );
}

/**
 * `virsh --connect qemu+ssh://DEST/system version` run on the source: the version, or libvirt's failure with the
 * whole text as detail (ssh's messages span several lines after `error: Cannot recv data:`, which the usual
 * error-line reading cuts off) and a message naming the cause when it is one of the known ones.
 */
export function parseRemoteVirshVersion(text: string): Result<VirshVersion, FerryError> {
  const r = parseVirshVersion(text);
  if (r.ok || !r.error.code.startsWith('libvirt.')) return r;
  const all = text.replace(/\r/g, '').trim();
  const cause = P2P_CAUSES.find((c) => c.test.test(all));
  const last = virshErrorLines(text).at(-1) ?? '';
  const message = cause ? cause.message : `libvirt on the source could not connect: ${last}`;
  return err(ferryError(r.error.code, message, all));
}

const P2P_CAUSES: readonly { readonly test: RegExp; readonly message: string }[] = [
  { test: /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/, message: "The source's ssh refuses the destination's host key (it is not in the source's known_hosts, or it changed)." },
  { test: /Permission denied \(publickey/, message: "The destination refuses the source's ssh key (root's key on the source is not authorised on the destination)." },
  { test: /No route to host|Network is unreachable|Connection timed out|Could not resolve hostname/, message: 'The source cannot reach the destination over ssh.' },
  { test: /port \d+: Connection refused/, message: "Nothing accepts ssh connections on the destination (sshd down or another port)." },
  { test: /virt-ssh-helper: cannot connect|libvirt-sock.*No such file or directory|Failed to connect socket/, message: "libvirtd is not running on the destination (ssh works, libvirt's socket is absent)." },
];
