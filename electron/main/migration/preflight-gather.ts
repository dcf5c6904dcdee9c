/**
 * Pre-flight's fact gathering: for each check, the commands it needs run on the hosts through their CommandRunners
 * (runCommand: the command's parser sees the exit status), and one typed facts value (shared/migration/
 * preflight-facts.ts) for the pure rules to judge. An answer a rule judges (no such domain, libvirt refusing the p2p
 * connection) is a fact; any other failure throws a CheckError, which ends the check as "Could not check".
 * Facts several checks need (the domain's XML from the source, each host's qemu.conf) are fetched once and shared.
 */
import type { Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import { virshDominfo, virshVersion, ipLink, ipRouteGet, type Command } from '../../../shared/commands';
import {
  dumpxmlMigratable,
  hypervisorCpuCompare,
  nodeMemStats,
  pathProbe,
  portProbe,
  qemuConf,
  rdmaProbe,
  readCertificate,
  remoteVirshVersion,
  type CommandWithInput,
  type PreflightCheckId,
} from '../../../shared/commands/preflight';
import { destinationUri } from '../../../shared/commands/migrate';
import type { QemuDriverConfig } from '../../../shared/parsers/preflight-probes';
import type { DumpedDomain } from '../../../shared/parsers/virsh-dumpxml';
import {
  mtuReturnAddress,
  mtuTarget,
  portPlan,
  rdmaChosen,
  storagePlan,
  tlsChosen,
  tlsFile,
  tlsFiles,
  tlsMissing,
  TLS_CLIENT_FILES,
  TLS_SERVER_FILES,
  type LinkSide,
  type PreflightFacts,
  type PreflightPlace,
  type PreflightSetting,
  type TlsFacts,
} from '../../../shared/migration/preflight-facts';
import { tlsExpectedNames } from '../../../shared/migration/preflight-network-rules';
import { runCommand, type CommandRunner } from '../remote/run-command';
import { examineTlsCertificates } from './preflight-tls';
import { measurePath } from './preflight-path';

/** A host as the gatherer reaches it. */
export interface GatherHost extends PreflightPlace {
  readonly runner: CommandRunner;
  /** The SSH user and port the p2p URI uses to reach it. */
  readonly user?: string;
  readonly port?: number;
}

export interface GatherInput {
  readonly setting: PreflightSetting;
  readonly source: GatherHost;
  readonly destination: GatherHost;
  readonly signal: AbortSignal;
  /** Wall clock in ms (certificate validity). */
  readonly now: () => number;
}

/** A failure to gather a check's facts: the check answers "Could not check" with this error. */
export class CheckError extends Error {
  constructor(readonly error: FerryError) {
    super(error.message);
  }
}

function unwrap<T>(r: Result<T, FerryError>): T {
  if (!r.ok) throw new CheckError(r.error);
  return r.value;
}

function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

export interface Gatherer {
  readonly input: GatherInput;
  /** Runs a command; its failure is a value. */
  attempt<T>(host: GatherHost, cmd: Command<T> | CommandWithInput<T>): Promise<Result<T, FerryError>>;
  /** Runs a command (or fails to build one); its failure throws a CheckError. */
  get<T>(host: GatherHost, cmd: Command<T> | CommandWithInput<T> | Result<Command<T> | CommandWithInput<T>, FerryError>): Promise<T>;
  readonly domain: () => Promise<DumpedDomain>;
  readonly conf: (host: GatherHost) => Promise<QemuDriverConfig>;
}

export function gatherer(input: GatherInput): Gatherer {
  const attempt = <T>(host: GatherHost, cmd: Command<T> | CommandWithInput<T>): Promise<Result<T, FerryError>> =>
    runCommand(host.runner, cmd, { signal: input.signal, ...('stdin' in cmd ? { stdin: cmd.stdin } : {}) });
  const get = async <T>(host: GatherHost, cmd: Command<T> | CommandWithInput<T> | Result<Command<T> | CommandWithInput<T>, FerryError>): Promise<T> =>
    unwrap(await attempt(host, 'argv' in cmd ? cmd : unwrap(cmd)));
  const src = once(() => get(input.source, qemuConf()));
  const dst = once(() => get(input.destination, qemuConf()));
  return {
    input,
    attempt,
    get,
    domain: once(() => get(input.source, dumpxmlMigratable(input.setting.vm))),
    conf: (h) => (h === input.source ? src() : dst()),
  };
}

// ---- per check ------------------------------------------------------------------------------------------------------

async function state(g: Gatherer): Promise<PreflightFacts['state']> {
  const r = await g.attempt(g.input.source, virshDominfo(g.input.setting.vm));
  if (r.ok) return { found: true, info: r.value };
  if (r.error.code === 'libvirt.no-domain') return { found: false, ...(r.error.detail !== undefined ? { detail: r.error.detail } : {}) };
  throw new CheckError(r.error);
}

async function p2p(g: Gatherer): Promise<PreflightFacts['p2p']> {
  const { source, destination } = g.input;
  const uri = unwrap(destinationUri(destination.address, destination.user, destination.port));
  const reached = await g.attempt(source, unwrap(remoteVirshVersion(destination.address, destination.user, destination.port)));
  // libvirt's refusal is the answer; anything else (the source unreachable, a timeout) is not.
  if (!reached.ok && !reached.error.code.startsWith('libvirt.')) throw new CheckError(reached.error);
  return { uri, reached };
}

async function versions(g: Gatherer): Promise<PreflightFacts['versions']> {
  const [source, destination] = await Promise.all([g.get(g.input.source, virshVersion()), g.get(g.input.destination, virshVersion())]);
  return { source, destination };
}

async function cpu(g: Gatherer): Promise<PreflightFacts['cpu']> {
  const dom = await g.domain();
  const comparison = await g.get(g.input.destination, hypervisorCpuCompare(dom.definition, dom.xml));
  return { definition: dom.definition, comparison };
}

async function name(g: Gatherer): Promise<PreflightFacts['name']> {
  const wanted = g.input.setting.options.dname ?? g.input.setting.vm;
  const dom = await g.domain();
  const r = await g.attempt(g.input.destination, virshDominfo(wanted));
  if (!r.ok && r.error.code !== 'libvirt.no-domain') throw new CheckError(r.error);
  return { name: wanted, uuid: dom.definition.uuid, ...(r.ok ? { existing: r.value } : {}) };
}

async function memory(g: Gatherer): Promise<PreflightFacts['memory']> {
  const [dom, destination] = await Promise.all([g.domain(), g.get(g.input.destination, nodeMemStats())]);
  return { needKiB: dom.definition.memoryKiB, destination };
}

async function storage(g: Gatherer): Promise<PreflightFacts['storage']> {
  const definition = (await g.domain()).definition;
  const { wanted } = storagePlan(definition, g.input.setting.options);
  const states = wanted.length === 0 ? [] : await g.get(g.input.destination, pathProbe(wanted.map((w) => w.path)));
  return { definition, states };
}

async function ports(g: Gatherer): Promise<PreflightFacts['ports']> {
  // An unreadable qemu.conf leaves libvirt's default range, which is what the check then probes.
  const conf = await g.conf(g.input.destination).catch((): QemuDriverConfig => ({}));
  const plan = portPlan(conf, g.input.setting);
  const probes = await g.get(g.input.source, portProbe(plan.target, plan.ports));
  return { conf, probes };
}

async function linkSide(g: Gatherer, host: GatherHost, to: string): Promise<LinkSide> {
  const route = await g.get(host, ipRouteGet(to));
  const links = await g.get(host, ipLink(route.dev));
  const link = links.find((l) => l.ifname === route.dev) ?? links[0];
  if (!link) throw new CheckError(ferryError('parse.missing-field', `ip link printed nothing for ${route.dev} on ${host.name}.`));
  return {
    dev: route.dev,
    mtu: link.mtu,
    ...(route.mtu !== undefined ? { pmtu: route.mtu } : {}),
    ...(route.gateway !== undefined ? { gateway: route.gateway } : {}),
    ...(route.prefsrc !== undefined ? { prefsrc: route.prefsrc } : {}),
  };
}

async function mtu(g: Gatherer): Promise<PreflightFacts['mtu']> {
  const { source, destination, setting } = g.input;
  const toward = mtuTarget(setting);
  // The ends' MTUs, and the path between them measured (DF probes, tracepath, the hop that clips it) at once.
  const [s, path] = await Promise.all([linkSide(g, source, toward), measurePath({ source, destination, signal: g.input.signal, now: g.input.now }, toward)]);
  const back = mtuReturnAddress(setting, toward, s);
  const d = await linkSide(g, destination, back);
  return { toward, back, source: s, destination: d, path };
}

async function tls(g: Gatherer): Promise<TlsFacts> {
  const { source, destination, setting } = g.input;
  if (!tlsChosen(setting.options)) return { chosen: false };
  const [sourceConf, destinationConf] = await Promise.all([g.conf(source), g.conf(destination)]);
  const [sourceStates, destinationStates] = await Promise.all([
    g.get(source, pathProbe(tlsFiles(sourceConf, TLS_CLIENT_FILES))),
    g.get(destination, pathProbe(tlsFiles(destinationConf, TLS_SERVER_FILES))),
  ]);
  const files = { chosen: true as const, sourceConf, destinationConf, sourceStates, destinationStates };
  if (tlsMissing(setting, files).length > 0) return files;
  const cat = (h: GatherHost, conf: QemuDriverConfig, file: string) => g.get(h, readCertificate(tlsFile(conf, file)));
  const [serverCert, destinationCa, sourceCa, clientCert] = await Promise.all([
    cat(destination, destinationConf, 'server-cert.pem'),
    cat(destination, destinationConf, 'ca-cert.pem'),
    cat(source, sourceConf, 'ca-cert.pem'),
    cat(source, sourceConf, 'client-cert.pem'),
  ]);
  const expected = tlsExpectedNames(setting);
  const certificates = examineTlsCertificates(
    { destinationHost: destination.name, sourceHost: source.name, serverCert, destinationCa, sourceCa, clientCert, expectedNames: expected.names, explicitName: expected.explicit },
    g.input.now(),
  );
  return { ...files, certificates };
}

async function rdma(g: Gatherer): Promise<PreflightFacts['rdma']> {
  const { source, destination, setting } = g.input;
  if (!rdmaChosen(setting.options)) return { chosen: false };
  const [s, d, dom] = await Promise.all([g.get(source, rdmaProbe()), g.get(destination, rdmaProbe()), g.domain()]);
  const limit = dom.definition.hardLimitKiB;
  return { chosen: true, source: s, destination: d, ...(limit !== undefined ? { hardLimitKiB: limit } : {}) };
}

/** Each check's gathering, by id. */
export const GATHER: { readonly [K in PreflightCheckId]: (g: Gatherer) => Promise<PreflightFacts[K]> } = {
  state,
  p2p,
  versions,
  cpu,
  name,
  memory,
  storage,
  ports,
  mtu,
  tls,
  rdma,
};
