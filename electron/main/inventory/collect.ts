/**
 * What Ferry learns from one host, over its pooled connection: facts (host name, libvirt and QEMU versions, CPU,
 * memory, NICs) and the VM list. The commands are typed (shared/commands) and their parsers fixture-tested; this
 * module runs them and assembles the result, with the assembly kept pure (buildNics, buildVms) for unit tests.
 *
 * Cost per host and refresh is constant whatever the number of VMs: virsh commands go through the host's one
 * long-lived virsh session (`runners.virsh`): list --all, `list --name --persistent` and `--autostart` for the flags
 * (a domain of list --all missing from one is transient / not autostarted), and ONE `domstats --balloon --vcpu` for
 * every domain's memory and vCPUs: four commands per refresh, whatever the number of VMs. The other commands (identity, ip, ethtool per
 * reported NIC) run on exec channels of the same connection, concurrently; the pool caps them at MaxSessions.
 */
import type { FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { ethtoolSettings, ipAddr, ipLink, virshListAll, virshNodeinfo, virshVersion } from '../../../shared/commands';
import { hostIdentity, virshDomstatsMemoryVcpu, virshListNames, type DomainListFilter } from '../../../shared/commands/inventory';
import type { HostFacts, NicFact, NicRole, VmSummary } from '../../../shared/inventory/types';
import type { IpLink, IpLinkWithAddresses } from '../../../shared/parsers/ip';
import type { DomainListEntry } from '../../../shared/parsers/virsh-domain';
import type { DomainStats } from '../../../shared/parsers/virsh-domstats';
import type { NodeInfo, VirshVersion } from '../../../shared/parsers/virsh-host';
import { runCommand, type CommandRunner } from '../remote/run-command';

export interface HostRunners {
  /** Any command, one exec channel each. */
  readonly exec: CommandRunner;
  /** virsh commands through the host's long-lived virsh session. */
  readonly virsh: CommandRunner;
}

export interface CollectOptions {
  readonly signal?: AbortSignal;
  /** ISO time for `collectedAt`. */
  readonly now: () => string;
}

// ---- NICs ------------------------------------------------------------------------------------------------------

/** Interfaces that are not host NICs: loopback, libvirt's NAT bridges, guests' taps. */
const NOT_A_HOST_NIC = /^(lo|virbr\d+(-nic)?|vnet\d+|macvtap\d+|tap.*)$/;

/** The NICs worth showing: not loopback, not a libvirt bridge or a guest's tap, not a port of a bridge or bond. */
export function reportedNics(addrs: readonly IpLinkWithAddresses[], links: readonly IpLink[]): IpLinkWithAddresses[] {
  const kindOf = new Map(links.map((l) => [l.ifname, l.kind]));
  return addrs.filter((l) => {
    if (l.flags.includes('LOOPBACK') || NOT_A_HOST_NIC.test(l.ifname)) return false;
    if (l.master !== undefined) return false;
    const kind = kindOf.get(l.ifname);
    return kind !== 'tun' && kind !== 'macvtap';
  });
}

/**
 * NicFacts from `ip -j addr` + `ip -j -d link` and the speeds read by ethtool. The NIC holding `sshServerAddress`
 * (the address this host received Ferry's connection on) is the management NIC; the others with an IPv4 address are
 * migration NICs; the rest "other". Link-local IPv6 addresses are left out.
 */
export function buildNics(
  addrs: readonly IpLinkWithAddresses[],
  links: readonly IpLink[],
  sshServerAddress: string | undefined,
  speeds: ReadonlyMap<string, number | null>,
): NicFact[] {
  return reportedNics(addrs, links).map((l) => {
    const usable = l.addresses.filter((a) => !(a.family === 'inet6' && a.scope === 'link'));
    const management = sshServerAddress !== undefined && l.addresses.some((a) => a.local.toLowerCase() === sshServerAddress.toLowerCase());
    const hasIpv4 = usable.some((a) => a.family === 'inet');
    return {
      name: l.ifname,
      mtu: l.mtu,
      speedMbps: speeds.get(l.ifname) ?? null,
      operState: (l.operstate ?? 'UNKNOWN').toLowerCase(),
      addresses: usable.map((a) => `${a.local}/${a.prefixlen}`),
      role: management ? 'management' : hasIpv4 ? 'migration' : 'other',
    };
  });
}

/** The facts with the admin's NIC roles (HostDraft.nicRoles) in place of the inferred ones. Pure. */
export function applyNicRoles(facts: HostFacts, roles: Readonly<Record<string, NicRole>> | undefined): HostFacts {
  if (roles === undefined || !facts.nics.some((n) => roles[n.name] !== undefined && roles[n.name] !== n.role)) return facts;
  return { ...facts, nics: facts.nics.map((n) => ({ ...n, role: roles[n.name] ?? n.role })) };
}

/** Link speed in Mb/s, or null where the driver reports none (`Unknown!`) or ethtool fails. */
async function nicSpeed(r: HostRunners, ifname: string, signal: AbortSignal | undefined): Promise<number | null> {
  const cmd = ethtoolSettings(ifname);
  if (!cmd.ok) return null;
  const s = await runCommand(r.exec, cmd.value, signal ? { signal } : {});
  if (!s.ok || s.value.speed === undefined || !s.value.speed.known) return null;
  return s.value.speed.megabitsPerSecond;
}

// ---- facts -----------------------------------------------------------------------------------------------------

export function buildFacts(
  parts: { hostname: string; cpuModelName?: string; version: VirshVersion; nodeinfo: NodeInfo; nics: NicFact[] },
  collectedAt: string,
): HostFacts {
  const hv = parts.version.hypervisor;
  return {
    hostname: parts.hostname,
    libvirtVersion: parts.version.library.version,
    hypervisor: hv ? `${hv.name} ${hv.version}` : 'unknown',
    // nodeinfo's "CPU model" is the architecture (x86_64); /proc/cpuinfo names the processor where it can.
    cpuModel: parts.cpuModelName ?? parts.nodeinfo.cpuModel,
    cpuCount: parts.nodeinfo.cpus,
    memoryBytes: parts.nodeinfo.memoryKiB * 1024,
    nics: parts.nics,
    collectedAt,
  };
}

export async function collectFacts(r: HostRunners, o: CollectOptions): Promise<Result<HostFacts, FerryError>> {
  const opts = o.signal ? { signal: o.signal } : {};
  const addrCmd = ipAddr();
  const linkCmd = ipLink();
  if (!addrCmd.ok) return addrCmd;
  if (!linkCmd.ok) return linkCmd;
  const virshPart = (async () => {
    const version = await runCommand(r.virsh, virshVersion(), opts);
    if (!version.ok) return version;
    const nodeinfo = await runCommand(r.virsh, virshNodeinfo(), opts);
    if (!nodeinfo.ok) return nodeinfo;
    return ok({ version: version.value, nodeinfo: nodeinfo.value });
  })();
  const [identity, addrs, links, virsh] = await Promise.all([
    runCommand(r.exec, hostIdentity(), opts),
    runCommand(r.exec, addrCmd.value, opts),
    runCommand(r.exec, linkCmd.value, opts),
    virshPart,
  ]);
  if (!identity.ok) return identity;
  if (!addrs.ok) return addrs;
  if (!links.ok) return links;
  if (!virsh.ok) return virsh;
  const nics = reportedNics(addrs.value, links.value);
  const speeds = new Map<string, number | null>(
    await Promise.all(nics.map(async (n) => [n.ifname, await nicSpeed(r, n.ifname, o.signal)] as const)),
  );
  return ok(
    buildFacts(
      {
        hostname: identity.value.hostname,
        ...(identity.value.cpuModelName !== undefined ? { cpuModelName: identity.value.cpuModelName } : {}),
        version: virsh.value.version,
        nodeinfo: virsh.value.nodeinfo,
        nics: buildNics(addrs.value, links.value, identity.value.sshServerAddress, speeds),
      },
      o.now(),
    ),
  );
}

// ---- VMs -------------------------------------------------------------------------------------------------------

export interface VmLists {
  /** `virsh list --all`, read first. */
  readonly all: readonly DomainListEntry[];
  /** Names of the persistent / autostarted domains; undefined when that list could not be read (flag unknown). */
  readonly persistent?: readonly string[];
  readonly autostart?: readonly string[];
  readonly stats?: readonly DomainStats[];
}

/**
 * One VmSummary per domain of `virsh list --all`. A flag list that was read decides for every domain (in it: true;
 * not in it: false); one that could not be read leaves the flag unknown, as memory stays unknown without stats.
 */
export function buildVms(l: VmLists): VmSummary[] {
  const set = (xs: readonly string[] | undefined) => (xs === undefined ? undefined : new Set(xs));
  const persistent = set(l.persistent);
  const autostart = set(l.autostart);
  const stats = new Map((l.stats ?? []).map((s) => [s.name, s]));
  const flag = (name: string, yes: Set<string> | undefined): boolean | undefined => (yes === undefined ? undefined : yes.has(name));
  return l.all.map((d) => {
    const vm: { -readonly [K in keyof VmSummary]: VmSummary[K] } = { name: d.name, state: d.state };
    const s = stats.get(d.name);
    if (s?.balloonCurrentKiB !== undefined) vm.memoryBytes = s.balloonCurrentKiB * 1024;
    if (s?.vcpuCurrent !== undefined) vm.vcpus = s.vcpuCurrent;
    const p = flag(d.name, persistent);
    if (p !== undefined) vm.persistent = p;
    const a = flag(d.name, autostart);
    if (a !== undefined) vm.autostart = a;
    return vm;
  });
}

export interface VmCollection {
  readonly vms: VmSummary[];
  /** A part that failed while the list itself worked (flags or stats left unknown), for the host's `problem`. */
  readonly partial?: FerryError;
}

export async function collectVms(r: HostRunners, o: { readonly signal?: AbortSignal }): Promise<Result<VmCollection, FerryError>> {
  const opts = o.signal ? { signal: o.signal } : {};
  const all = await runCommand(r.virsh, virshListAll(), opts);
  if (!all.ok) return all;
  let partial: FerryError | undefined;
  const names = async (f: DomainListFilter): Promise<string[] | undefined> => {
    const n = await runCommand(r.virsh, virshListNames(f), opts);
    if (n.ok) return n.value;
    partial ??= n.error;
    return undefined;
  };
  // One virsh session runs its commands one after the other anyway; in order, so a failure is attributed simply.
  const persistent = await names('persistent');
  const autostart = await names('autostart');
  const stats = await runCommand(r.virsh, virshDomstatsMemoryVcpu(), opts);
  if (!stats.ok) partial ??= stats.error;
  const lists: VmLists = {
    all: all.value,
    ...(persistent ? { persistent } : {}),
    ...(autostart ? { autostart } : {}),
    ...(stats.ok ? { stats: stats.value } : {}),
  };
  // A transport failure (connection lost) is not "partial": the whole refresh failed.
  if (partial?.code.startsWith('ssh.') || partial?.code === 'command.timeout' || partial?.code === 'command.cancelled') return err(partial);
  return ok(partial ? { vms: buildVms(lists), partial } : { vms: buildVms(lists) });
}
