/**
 * Host-level virsh commands: `virsh version`, `virsh nodeinfo`.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount } from '../units';
import { compact, contentLines, emptyOutput, fail, splitLabel } from './text';
import { virshError } from './virsh-error';

export interface NamedVersion {
  /** `libvirt`, `QEMU`, ... as printed. */
  readonly name: string;
  /** Dotted version as printed, e.g. `9.0.0`, `7.2.22`. */
  readonly version: string;
}

export interface VirshVersion {
  /** `Compiled against library:` (virsh's own build). */
  readonly compiledAgainst?: NamedVersion;
  /** `Using library:` */
  readonly library: NamedVersion;
  /** `Using API:` the driver and its API version. */
  readonly api?: NamedVersion;
  /** `Running hypervisor:` absent for drivers that do not report one. */
  readonly hypervisor?: NamedVersion;
}

const VERSION_LABELS = {
  'Compiled against library': 'compiledAgainst',
  'Using library': 'library',
  'Using API': 'api',
  'Running hypervisor': 'hypervisor',
} as const;

function isVersionLabel(l: string): l is keyof typeof VERSION_LABELS {
  return Object.prototype.hasOwnProperty.call(VERSION_LABELS, l);
}

export function parseVirshVersion(text: string): Result<VirshVersion, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('virsh version');
  const found: Partial<Record<(typeof VERSION_LABELS)[keyof typeof VERSION_LABELS], NamedVersion>> = {};
  for (const line of lines) {
    const kv = splitLabel(line);
    if (!kv || !isVersionLabel(kv.label)) {
      return fail('parse.unrecognised', 'Unexpected line in virsh version output.', line);
    }
    const m = /^(\S+(?: \S+)*?) (\d+(?:\.\d+)*)$/.exec(kv.value);
    if (!m) return fail('parse.bad-value', `Expected "<name> <version>" after "${kv.label}:".`, line);
    found[VERSION_LABELS[kv.label]] = { name: m[1] ?? '', version: m[2] ?? '' };
  }
  if (!found.library) {
    return err(ferryError('parse.missing-field', 'virsh version did not say which library it uses.', lines.join('\n')));
  }
  return ok(
    compact<VirshVersion>({
      compiledAgainst: found.compiledAgainst,
      library: found.library,
      api: found.api,
      hypervisor: found.hypervisor,
    }),
  );
}

export interface NodeInfo {
  /** `CPU model:` which virsh fills with the architecture (`x86_64`), not the marketing name. */
  readonly cpuModel: string;
  readonly cpus: number;
  readonly cpuFrequencyMHz: number;
  readonly cpuSockets: number;
  readonly coresPerSocket: number;
  readonly threadsPerCore: number;
  readonly numaCells: number;
  readonly memoryKiB: number;
}

type NodeInfoCount = Exclude<keyof NodeInfo, 'cpuModel'>;

const NODEINFO_LABELS: Readonly<Record<string, { key: keyof NodeInfo; unit?: string }>> = {
  'CPU model': { key: 'cpuModel' },
  'CPU(s)': { key: 'cpus' },
  'CPU frequency': { key: 'cpuFrequencyMHz', unit: 'MHz' },
  'CPU socket(s)': { key: 'cpuSockets' },
  'Core(s) per socket': { key: 'coresPerSocket' },
  'Thread(s) per core': { key: 'threadsPerCore' },
  'NUMA cell(s)': { key: 'numaCells' },
  'Memory size': { key: 'memoryKiB', unit: 'KiB' },
};

export function parseVirshNodeinfo(text: string): Result<NodeInfo, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  const lines = contentLines(text);
  if (lines.length === 0) return emptyOutput('virsh nodeinfo');
  let cpuModel: string | undefined;
  const counts: Partial<Record<NodeInfoCount, number>> = {};
  for (const line of lines) {
    const kv = splitLabel(line);
    const spec = kv ? NODEINFO_LABELS[kv.label] : undefined;
    if (!kv || !spec) return fail('parse.unrecognised', 'Unexpected line in virsh nodeinfo output.', line);
    if (spec.key === 'cpuModel') {
      if (kv.value === '') return fail('parse.bad-value', 'CPU model is empty.', line);
      cpuModel = kv.value;
      continue;
    }
    const m = /^(\S+)(?:\s+(\S+))?$/.exec(kv.value);
    const n = m && (m[2] ?? undefined) === spec.unit ? parseCount(m[1] ?? '') : undefined;
    if (n === undefined) {
      return fail('parse.bad-value', `Expected a whole number${spec.unit ? ` in ${spec.unit}` : ''} for ${kv.label}.`, line);
    }
    counts[spec.key] = n;
  }
  const missing = (key: keyof NodeInfo) =>
    err(ferryError('parse.missing-field', `virsh nodeinfo did not print ${key}.`, lines.join('\n')));
  if (cpuModel === undefined) return missing('cpuModel');
  const { cpus, cpuFrequencyMHz, cpuSockets, coresPerSocket, threadsPerCore, numaCells, memoryKiB } = counts;
  if (cpus === undefined) return missing('cpus');
  if (cpuFrequencyMHz === undefined) return missing('cpuFrequencyMHz');
  if (cpuSockets === undefined) return missing('cpuSockets');
  if (coresPerSocket === undefined) return missing('coresPerSocket');
  if (threadsPerCore === undefined) return missing('threadsPerCore');
  if (numaCells === undefined) return missing('numaCells');
  if (memoryKiB === undefined) return missing('memoryKiB');
  return ok({ cpuModel, cpus, cpuFrequencyMHz, cpuSockets, coresPerSocket, threadsPerCore, numaCells, memoryKiB });
}
