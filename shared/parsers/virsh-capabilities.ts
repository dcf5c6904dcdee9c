/**
 * `virsh capabilities`: the host part Ferry needs to compare hosts before a migration (host UUID, which must
 * differ between source and destination; CPU arch/model/vendor; live-migration transports; security models) and the
 * guest architectures with their domain types. Uses the tiny XML reader in ./xml.
 */
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { parseCount } from '../units';
import { compact, fail, firstLine } from './text';
import { child, children, parseXml, path, textAt, type XmlElement } from './xml';
import { virshError } from './virsh-error';

export interface CpuTopology {
  readonly sockets: number;
  readonly dies?: number;
  readonly clusters?: number;
  readonly cores: number;
  readonly threads: number;
}

export interface HostCpu {
  readonly arch: string;
  /** Absent when libvirt cannot name the host CPU model (e.g. some TCG setups). */
  readonly model?: string;
  readonly vendor?: string;
  readonly topology?: CpuTopology;
  /** `<feature name=.../>` names, in document order. */
  readonly features: readonly string[];
}

export interface GuestCapability {
  readonly osType: string;
  readonly arch: string;
  /** `<domain type=...>` values, e.g. `qemu`, `kvm` (kvm may be listed even where /dev/kvm does not work). */
  readonly domainTypes: readonly string[];
}

export interface HostCapabilities {
  readonly hostUuid: string;
  readonly cpu: HostCpu;
  /** Absent when the host has no `<migration_features>` (no live migration). */
  readonly migration?: { readonly live: boolean; readonly uriTransports: readonly string[] };
  readonly secModels: readonly { readonly model: string; readonly doi?: string }[];
  readonly guests: readonly GuestCapability[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function topologyOf(el: XmlElement | undefined): Result<CpuTopology | undefined, FerryError> {
  if (!el) return ok(undefined);
  const num = (name: string) => (el.attrs[name] === undefined ? undefined : parseCount(el.attrs[name] ?? ''));
  const sockets = num('sockets');
  const cores = num('cores');
  const threads = num('threads');
  const bad = ['sockets', 'dies', 'clusters', 'cores', 'threads'].find(
    (a) => el.attrs[a] !== undefined && num(a) === undefined,
  );
  if (bad || sockets === undefined || cores === undefined || threads === undefined) {
    return fail('parse.bad-value', 'Host CPU <topology> has missing or non-numeric attributes.', JSON.stringify(el.attrs));
  }
  return ok(compact<CpuTopology>({ sockets, dies: num('dies'), clusters: num('clusters'), cores, threads }));
}

export function parseVirshCapabilities(text: string): Result<HostCapabilities, FerryError> {
  const error = virshError(text);
  if (error) return err(error);
  if (text.trim() === '') return fail('parse.unrecognised', 'virsh capabilities printed nothing.', '');
  const doc = parseXml(text);
  if (!doc.ok) return doc;
  const root = doc.value;
  if (root.name !== 'capabilities') {
    return fail('parse.unrecognised', `Expected a <capabilities> document, got <${root.name}>.`, firstLine(text));
  }
  const host = child(root, 'host');
  if (!host) return err(ferryError('parse.missing-field', 'The capabilities have no <host> element.', firstLine(text)));

  const hostUuid = textAt(host, 'uuid');
  if (hostUuid === undefined) return err(ferryError('parse.missing-field', 'The capabilities have no host <uuid>.', ''));
  if (!UUID.test(hostUuid)) return fail('parse.bad-value', 'The host <uuid> is not a UUID.', hostUuid);

  const cpuEl = child(host, 'cpu');
  const arch = textAt(cpuEl, 'arch');
  if (!cpuEl || arch === undefined) {
    return err(ferryError('parse.missing-field', 'The capabilities have no host <cpu><arch>.', ''));
  }
  const topology = topologyOf(child(cpuEl, 'topology'));
  if (!topology.ok) return topology;
  const features = children(cpuEl, 'feature')
    .map((f) => f.attrs.name)
    .filter((n): n is string => n !== undefined);

  const migEl = child(host, 'migration_features');
  const migration = migEl
    ? {
        live: child(migEl, 'live') !== undefined,
        uriTransports: children(path(migEl, 'uri_transports'), 'uri_transport')
          .map((t) => t.text.trim())
          .filter((t) => t !== ''),
      }
    : undefined;

  const secModels = children(host, 'secmodel').flatMap((s) => {
    const model = textAt(s, 'model');
    return model === undefined ? [] : [compact<{ model: string; doi?: string }>({ model, doi: textAt(s, 'doi') })];
  });

  const guests = children(root, 'guest').flatMap((g) => {
    const osType = textAt(g, 'os_type');
    const guestArch = child(g, 'arch')?.attrs.name;
    if (osType === undefined || guestArch === undefined) return [];
    const domainTypes = children(child(g, 'arch'), 'domain')
      .map((d) => d.attrs.type)
      .filter((t): t is string => t !== undefined);
    return [{ osType, arch: guestArch, domainTypes }];
  });

  return ok(
    compact<HostCapabilities>({
      hostUuid: hostUuid.toLowerCase(),
      cpu: compact<HostCpu>({
        arch,
        model: textAt(cpuEl, 'model'),
        vendor: textAt(cpuEl, 'vendor'),
        topology: topology.value,
        features,
      }),
      migration,
      secModels,
      guests,
    }),
  );
}
