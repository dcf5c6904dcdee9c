/**
 * `virsh dumpxml --migratable DOMAIN`: the facts pre-flight needs from a domain definition (name, UUID, virt type,
 * arch/machine for the CPU comparison, memory, memory hard limit for RDMA, kernel/initrd paths, disks). The XML
 * text itself is kept as printed: the CPU check sends it to the destination's `virsh hypervisor-cpu-compare`.
 */
import { err, ok, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { virshError } from './virsh-error';
import { compact, emptyOutput, fail } from './text';
import { child, children, parseXml, textAt, type XmlElement } from './xml';

export type DiskSourceKind = 'file' | 'block' | 'network' | 'volume' | 'dir' | 'nvme' | 'vhostuser' | 'other';

export interface DomainDisk {
  /** `disk`, `cdrom`, `floppy`, `lun`. */
  readonly device: string;
  readonly kind: DiskSourceKind;
  /** Target as the guest sees it: vda, sdb, hdc. */
  readonly target?: string;
  /** Host path of a file or block disk (absent for an empty cdrom, a network disk...). */
  readonly path?: string;
  /** Network disks: protocol and name (`rbd`, `pool/image`). */
  readonly network?: string;
  readonly readonly: boolean;
  readonly shareable: boolean;
}

export interface DomainDefinition {
  readonly name: string;
  readonly uuid: string;
  /** `<domain type=...>`: kvm, qemu. */
  readonly virtType: string;
  readonly arch?: string;
  readonly machine?: string;
  readonly memoryKiB: number;
  readonly currentMemoryKiB?: number;
  /** `<memtune><hard_limit>` in KiB; absent when none is set (RDMA pinning needs one). */
  readonly hardLimitKiB?: number;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly disks: readonly DomainDisk[];
  /** `<cpu mode=...>` (custom, host-model, host-passthrough, maximum); absent without a <cpu> element. */
  readonly cpuMode?: string;
  readonly cpuModel?: string;
}

export interface DumpedDomain {
  readonly definition: DomainDefinition;
  /** The XML exactly as virsh printed it. */
  readonly xml: string;
}

const UNIT_KIB: Readonly<Record<string, number>> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1e6 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
  tb: 1e12 / 1024,
};

/** A libvirt scaled integer (`<memory unit='MiB'>128</memory>`) in KiB; default unit KiB. */
function memoryKiB(el: XmlElement | undefined): number | 'bad' | undefined {
  if (!el) return undefined;
  const value = el.text.trim();
  const factor = UNIT_KIB[(el.attrs['unit'] ?? 'KiB').toLowerCase()];
  if (!/^\d+$/.test(value) || factor === undefined) return 'bad';
  return Math.round(Number(value) * factor);
}

const SOURCE_KINDS: readonly DiskSourceKind[] = ['file', 'block', 'network', 'volume', 'dir', 'nvme', 'vhostuser'];

function disk(el: XmlElement): DomainDisk {
  const type = el.attrs['type'] ?? 'file';
  const kind = (SOURCE_KINDS as readonly string[]).includes(type) ? (type as DiskSourceKind) : 'other';
  const source = child(el, 'source');
  const path = kind === 'file' ? source?.attrs['file'] : kind === 'block' ? source?.attrs['dev'] : kind === 'dir' ? source?.attrs['dir'] : undefined;
  const network =
    kind === 'network' && source
      ? [source.attrs['protocol'], source.attrs['name']].filter((s): s is string => s !== undefined).join(' ')
      : undefined;
  return compact<DomainDisk>({
    device: el.attrs['device'] ?? 'disk',
    kind,
    target: child(el, 'target')?.attrs['dev'],
    path,
    network: network === '' ? undefined : network,
    readonly: child(el, 'readonly') !== undefined,
    shareable: child(el, 'shareable') !== undefined,
  });
}

export function parseDomainXml(text: string): Result<DomainDefinition, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  if (text.trim() === '') return emptyOutput('virsh dumpxml');
  const doc = parseXml(text);
  if (!doc.ok) return doc;
  const root = doc.value;
  if (root.name !== 'domain') return fail('parse.unrecognised', 'virsh dumpxml did not print a <domain> document.', `<${root.name}>`);
  const name = textAt(root, 'name');
  const uuid = textAt(root, 'uuid');
  const virtType = root.attrs['type'];
  if (name === undefined || uuid === undefined || virtType === undefined) {
    return err(ferryError('parse.missing-field', 'The domain XML lacks its name, UUID or type.', text.slice(0, 300)));
  }
  const memory = memoryKiB(child(root, 'memory'));
  const current = memoryKiB(child(root, 'currentMemory'));
  const hardLimit = memoryKiB(child(child(root, 'memtune'), 'hard_limit'));
  if (memory === undefined) return err(ferryError('parse.missing-field', 'The domain XML has no <memory>.', name));
  if (memory === 'bad' || current === 'bad' || hardLimit === 'bad') {
    return fail('parse.bad-value', 'A memory size in the domain XML is not a whole number with a known unit.', name);
  }
  const os = child(root, 'os');
  const osType = child(os, 'type');
  const cpu = child(root, 'cpu');
  return ok(
    compact<DomainDefinition>({
      name,
      uuid,
      virtType,
      arch: osType?.attrs['arch'],
      machine: osType?.attrs['machine'],
      memoryKiB: memory,
      currentMemoryKiB: current,
      hardLimitKiB: hardLimit,
      kernel: textAt(os, 'kernel'),
      initrd: textAt(os, 'initrd'),
      disks: children(child(root, 'devices'), 'disk').map(disk),
      cpuMode: cpu?.attrs['mode'],
      cpuModel: textAt(cpu, 'model'),
    }),
  );
}

/** The definition plus the XML as printed (what the destination's CPU comparison reads). */
export function parseDumpxml(text: string): Result<DumpedDomain, FerryError> {
  const d = parseDomainXml(text);
  return d.ok ? ok({ definition: d.value, xml: text }) : d;
}
