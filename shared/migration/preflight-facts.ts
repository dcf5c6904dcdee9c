/**
 * What pre-flight learns from the hosts, one typed value per check, and the plans that say what to ask for (which
 * ports, which paths, which address). Main gathers the facts (electron/main/migration/preflight-gather.ts); the pure
 * rules (preflight-rules.ts, preflight-network-rules.ts) turn them into results. A fact that a rule judges as an
 * answer (no such domain, libvirt's refusal of the p2p connection) is kept here; any other failure to gather ends
 * the check as "Could not check".
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { DomainDefinition } from '../parsers/virsh-dumpxml';
import type { DomainInfo } from '../parsers/virsh-domain';
import type { VirshVersion } from '../parsers/virsh-host';
import type { CpuComparison, NodeMemoryStats } from '../parsers/virsh-preflight';
import { migrationTlsDir, type PathState, type PortProbe, type QemuDriverConfig, type RdmaSupport } from '../parsers/preflight-probes';
import type { PathFlag, PathRoute } from '../network/path-report';
import type { PreflightCheckId } from '../commands/preflight';
import { isIpv4 } from '../commands/command';
import { parseMigrateUri, type MigrationOptions } from './options';

/** The options pre-flight looks at; a MigrationOptions value fits as it is. */
export type PreflightOptions = Pick<
  MigrationOptions,
  'p2p' | 'tunnelled' | 'tls' | 'tlsDestination' | 'rdmaPinAll' | 'migrateUri' | 'copyStorageAll' | 'copyStorageInc' | 'dname' | 'live' | 'offline' | 'persistent'
>;

/** A host as the rules name it. */
export interface PreflightPlace {
  /** Its name (hvB): what libvirt puts in the migration URI, what a certificate should carry. */
  readonly name: string;
  /** Its IP address as the other host reaches it. */
  readonly address: string;
}

/** What the rules know without asking a host. */
export interface PreflightSetting {
  readonly vm: string;
  readonly source: PreflightPlace;
  readonly destination: PreflightPlace;
  readonly options: PreflightOptions;
}

// ---- facts, per check ---------------------------------------------------------------------------------------------

export type StateFacts = { readonly found: true; readonly info: DomainInfo } | { readonly found: false; readonly detail?: string };

export interface P2pFacts {
  /** The qemu+ssh URI the source's libvirtd would open. */
  readonly uri: string;
  /** libvirt's version there, or libvirt's own refusal (a `libvirt.*` error with its text as detail). */
  readonly reached: Result<VirshVersion, FerryError>;
}

export interface VersionsFacts {
  readonly source: VirshVersion;
  readonly destination: VirshVersion;
}

export interface CpuFacts {
  readonly definition: DomainDefinition;
  readonly comparison: CpuComparison;
}

export interface NameFacts {
  /** The name the domain gets on the destination (--dname, else its own). */
  readonly name: string;
  readonly uuid: string;
  /** The destination's domain of that name; absent when it has none. */
  readonly existing?: DomainInfo;
}

export interface MemoryFacts {
  readonly needKiB: number;
  readonly destination: NodeMemoryStats;
}

export interface StorageFacts {
  readonly definition: DomainDefinition;
  /** The destination's answer for each path of storagePlan(...).wanted, in that order. */
  readonly states: readonly PathState[];
}

export interface PortsFacts {
  /** The destination's qemu.conf; empty (libvirt's defaults) when it could not be read. */
  readonly conf: QemuDriverConfig;
  readonly probes: readonly PortProbe[];
}

/** One end of the data path: the route toward the other end and its interface's MTU. */
export interface LinkSide {
  readonly dev: string;
  readonly mtu: number;
  /** The kernel's cached path MTU for that route. */
  readonly pmtu?: number;
  readonly gateway?: string;
  readonly prefsrc?: string;
}

/** The path check of the network path view, toward the address migrated to. */
export interface MeasuredPath {
  readonly route?: PathRoute;
  readonly flags: readonly PathFlag[];
  /** Why the path could not be measured (the probes could not run); the MTU facts still stand. */
  readonly unavailable?: string;
}

export interface MtuFacts {
  /** The address the data goes to, and the one it comes back to (see mtuReturnAddress). */
  readonly toward: string;
  readonly back: string;
  readonly source: LinkSide;
  readonly destination: LinkSide;
  readonly path: MeasuredPath;
}

/** What node:crypto found in the four PEM files (main reads X.509; shared has no crypto). */
export interface CertFindings {
  /** Problems that make a TLS migration fail (each a sentence). */
  readonly problems: readonly string[];
  /** Facts worth showing when everything is fine. */
  readonly facts: readonly string[];
  readonly warnings: readonly string[];
}

export type TlsFacts =
  | { readonly chosen: false }
  | {
      readonly chosen: true;
      readonly sourceConf: QemuDriverConfig;
      readonly destinationConf: QemuDriverConfig;
      /** Answers for tlsFiles(...) on each side, in that order. */
      readonly sourceStates: readonly PathState[];
      readonly destinationStates: readonly PathState[];
      /** Absent when files are missing (nothing to read). */
      readonly certificates?: CertFindings;
    };

export type RdmaFacts =
  | { readonly chosen: false }
  | { readonly chosen: true; readonly source: RdmaSupport; readonly destination: RdmaSupport; readonly hardLimitKiB?: number };

export interface PreflightFacts {
  readonly state: StateFacts;
  readonly p2p: P2pFacts;
  readonly versions: VersionsFacts;
  readonly cpu: CpuFacts;
  readonly name: NameFacts;
  readonly memory: MemoryFacts;
  readonly storage: StorageFacts;
  readonly ports: PortsFacts;
  readonly mtu: MtuFacts;
  readonly tls: TlsFacts;
  readonly rdma: RdmaFacts;
}

// ---- plans: what to ask the hosts -----------------------------------------------------------------------------------

/** Pre-flight's checks that concern moving memory: nothing to check for an offline migration (definition only). */
export const MEMORY_TRANSFER_CHECKS: ReadonlySet<PreflightCheckId> = new Set(['memory', 'ports', 'mtu', 'tls', 'rdma']);

export function migrateUriHost(o: PreflightOptions): { scheme: 'tcp' | 'rdma'; host: string; port?: number } | undefined {
  return o.migrateUri === undefined ? undefined : parseMigrateUri(o.migrateUri);
}

export const tlsChosen = (o: PreflightOptions): boolean => o.tls === true;
export const rdmaChosen = (o: PreflightOptions): boolean => o.rdmaPinAll === true || migrateUriHost(o)?.scheme === 'rdma';

export interface StoragePlan {
  /** Paths that must exist on the destination. */
  readonly wanted: readonly { readonly path: string; readonly what: string }[];
  /** Disks that need nothing there (copied, network), in words. */
  readonly notes: readonly string[];
}

export function storagePlan(def: DomainDefinition, o: PreflightOptions): StoragePlan {
  const copy = o.copyStorageAll === true || o.copyStorageInc === true;
  const wanted: { path: string; what: string }[] = [];
  const notes: string[] = [];
  for (const d of def.disks) {
    const label = `${d.device} ${d.target ?? '?'}`;
    if (d.path === undefined) {
      if (d.kind === 'network') notes.push(`${label} is a network disk (${d.network ?? 'network'}), reached by the destination itself`);
      continue;
    }
    const copied = copy && d.device === 'disk' && !d.readonly && !d.shareable;
    if (copied) notes.push(`${label} (${d.path}) will be copied (${o.copyStorageAll ? '--copy-storage-all' : '--copy-storage-inc'})`);
    else wanted.push({ path: d.path, what: `${label}` });
  }
  if (def.kernel !== undefined) wanted.push({ path: def.kernel, what: 'kernel' });
  if (def.initrd !== undefined) wanted.push({ path: def.initrd, what: 'initrd' });
  return { wanted, notes };
}

export const LIBVIRT_PORTS: readonly number[] = [16509, 16514];

export interface PortPlan {
  readonly min: number;
  readonly max: number;
  /** The address probed: the migrate URI's host when it is tcp://, else the destination's address. */
  readonly target: string;
  /** Migration ports, then libvirt's. */
  readonly ports: readonly number[];
}

export function portPlan(conf: QemuDriverConfig, s: PreflightSetting): PortPlan {
  const min = conf.migrationPortMin ?? 49152;
  const max = conf.migrationPortMax ?? 49215;
  const uri = migrateUriHost(s.options);
  const target = uri?.scheme === 'tcp' ? uri.host : s.destination.address;
  // The whole range (QEMU takes the next free port in it for each incoming migration), at most 126 of it, plus a
  // port named in the migrate URI; all probed at once from the source.
  const range = Array.from({ length: Math.max(0, Math.min(max, min + 125) - min + 1) }, (_, i) => min + i);
  const migration = [...new Set([...range, ...(uri?.port !== undefined ? [uri.port] : [])])];
  return { min, max, target, ports: [...migration, ...LIBVIRT_PORTS] };
}

/** The address the data goes to: an IPv4 tcp:// migrate URI's host, else the destination's address. */
export function mtuTarget(s: PreflightSetting): string {
  const uri = migrateUriHost(s.options);
  return uri?.scheme === 'tcp' && isIpv4(uri.host) ? uri.host : s.destination.address;
}

/**
 * The return path ends at the source's address on the network the data takes: with a migrate URI on a migration
 * network, the address the source's kernel sends from toward it (10.77.2.11 toward 10.77.2.12), not the
 * management address.
 */
export function mtuReturnAddress(s: PreflightSetting, toward: string, source: LinkSide): string {
  return toward !== s.destination.address && source.prefsrc !== undefined && isIpv4(source.prefsrc) ? source.prefsrc : s.source.address;
}

export const TLS_SERVER_FILES = ['ca-cert.pem', 'server-cert.pem', 'server-key.pem'] as const;
export const TLS_CLIENT_FILES = ['ca-cert.pem', 'client-cert.pem', 'client-key.pem'] as const;

/** The directory, then each file in it. */
export function tlsFiles(conf: QemuDriverConfig, names: readonly string[]): string[] {
  const dir = migrationTlsDir(conf);
  return [dir, ...names.map((n) => tlsFile(conf, n))];
}

export const tlsFile = (conf: QemuDriverConfig, name: string): string => `${migrationTlsDir(conf).replace(/\/$/, '')}/${name}`;

/** What is missing of the TLS material, one phrase each (empty when all is there). */
export function tlsMissing(s: PreflightSetting, f: Extract<TlsFacts, { chosen: true }>): string[] {
  const missing: string[] = [];
  const look = (host: PreflightPlace, conf: QemuDriverConfig, names: readonly string[], states: readonly PathState[]) => {
    const dir = migrationTlsDir(conf);
    const where = conf.migrateTlsX509CertDir !== undefined ? 'migrate_tls_x509_cert_dir' : conf.defaultTlsX509CertDir !== undefined ? 'default_tls_x509_cert_dir' : 'the default';
    if (states[0] !== 'directory') {
      missing.push(`${dir} (${where}) does not exist on ${host.name}`);
      return;
    }
    names.forEach((n, i) => {
      const st = states[i + 1];
      if (st !== 'present') missing.push(`${n} is ${st === 'unreadable' ? 'unreadable' : 'missing'} on ${host.name} (in ${dir})`);
    });
  };
  look(s.source, f.sourceConf, TLS_CLIENT_FILES, f.sourceStates);
  look(s.destination, f.destinationConf, TLS_SERVER_FILES, f.destinationStates);
  return missing;
}
