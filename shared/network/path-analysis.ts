/**
 * The path check's analysis, pure: from both ends' route/link/addr facts, the DF search (shared/network/path-search.ts),
 * tracepath's hops and the TTL-limited probes, it builds each route's view, locates the hop where the path MTU
 * drops, and raises the port flags. The flags about a route and the pair of routes are in path-flags.ts. Main
 * (electron/main/network/path-check.ts) runs the commands; nothing here runs anything.
 */
import type { IpLink, IpLinkWithAddresses, IpRoute } from '../parsers/ip';
import type { TracepathResult } from '../parsers/tracepath';
import type { PortProbe } from '../parsers/preflight-probes';
import type { PathClip, PathFlag, PathHop, PathInterface, PmtuProbe, PmtuSearchReport, PortsReport } from './path-report';

// ---- interfaces ---------------------------------------------------------------------------------------------------

export interface SideFacts {
  readonly host: string;
  readonly route: IpRoute;
  readonly link?: IpLink;
  readonly addr?: IpLinkWithAddresses;
  /** From ethtool: Mb/s, null when the driver reports none; undefined when not read. */
  readonly speedMbps?: number | null;
}

/** One end's interface toward the other, from `ip route get`, `ip link` and `ip addr` of that interface. */
export function interfaceView(side: SideFacts): PathInterface {
  const { route, link, addr } = side;
  const withPrefix = addr?.addresses.find((a) => a.local === route.prefsrc);
  const address = withPrefix ? `${withPrefix.local}/${withPrefix.prefixlen}` : route.prefsrc;
  const l = link ?? addr;
  return {
    host: side.host,
    name: route.dev,
    mtu: l?.mtu ?? 0,
    ...(side.speedMbps !== undefined ? { speedMbps: side.speedMbps } : {}),
    operState: (l?.operstate ?? 'unknown').toLowerCase(),
    adminUp: l?.up ?? false,
    carrier: l?.lowerUp ?? false,
    ...(address !== undefined ? { address } : {}),
    ...(route.gateway !== undefined ? { gateway: route.gateway } : {}),
    ...(route.mtu !== undefined ? { cachedPmtu: route.mtu } : {}),
    ...(route.mtu !== undefined && route.expiresSeconds !== undefined ? { cachedPmtuExpiresSeconds: route.expiresSeconds } : {}),
  };
}

const ipv4ToInt = (a: string): number | undefined => {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
};

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(b);
  if (x === undefined || y === undefined || prefix < 1 || prefix > 32) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(x / size) === Math.floor(y / size);
}

const NOT_A_HOST_NIC = /^(lo|virbr\d|vnet\d|tap|docker|veth(?!$)|br-)/;

/**
 * The destination's migration-network addresses the source reaches directly: IPv4 addresses on the destination's
 * up interfaces other than the one holding its management address, in a subnet the source also has an address in.
 */
export function migrationTargets(
  destination: readonly IpLinkWithAddresses[],
  source: readonly IpLinkWithAddresses[],
  managementAddress: string,
): string[] {
  const out: string[] = [];
  for (const l of destination) {
    if (l.flags.includes('LOOPBACK') || l.master !== undefined || NOT_A_HOST_NIC.test(l.ifname) || !l.up) continue;
    if (l.addresses.some((a) => a.local === managementAddress)) continue;
    for (const a of l.addresses) {
      if (a.family !== 'inet') continue;
      const shared = source.some((s) => s.up && s.addresses.some((sa) => sa.family === 'inet' && sa.prefixlen === a.prefixlen && sameSubnet(sa.local, a.local, a.prefixlen)));
      if (shared && !out.includes(a.local)) out.push(a.local);
    }
  }
  return out;
}

// ---- hops ---------------------------------------------------------------------------------------------------------

/**
 * One hop per TTL from tracepath's probes: the address that answered at that TTL (the one that `reached`, when
 * several did: tracepath prints the router's frag-needed line under the next hop's number). Names: tracepath's own
 * (-b, the source host's resolver), else the inventory's name for that address.
 */
export function buildHops(tp: TracepathResult, inventoryNames: ReadonlyMap<string, string>): PathHop[] {
  const byHop = new Map<number, PathHop>();
  for (const p of tp.probes) {
    if (p.localhost || p.pmtu !== undefined && !p.reached && byHop.has(p.hop)) continue;
    const prev = byHop.get(p.hop);
    if (prev?.reached) continue;
    if (p.address === undefined) {
      if (!prev) byHop.set(p.hop, { hop: p.hop, reached: false });
      continue;
    }
    // A frag-needed line (`N: ROUTER pmtu M`) under hop N names the router of hop N-1, not hop N.
    if (p.pmtu !== undefined && !p.reached && byHop.get(p.hop - 1)?.address === p.address) continue;
    const name = p.name ?? inventoryNames.get(p.address);
    byHop.set(p.hop, {
      hop: p.hop,
      address: p.address,
      ...(name !== undefined ? { name } : {}),
      ...(p.rttMs !== undefined ? { rttMs: p.rttMs } : {}),
      reached: p.reached === true,
    });
  }
  return [...byHop.values()].sort((a, b) => a.hop - b.hop);
}

export const label = (address: string | undefined, name: string | undefined): string =>
  address === undefined ? (name ?? 'an unnamed hop') : name !== undefined && name !== address ? `${name} (${address})` : address;

// ---- where the path MTU drops -------------------------------------------------------------------------------------

export interface ClipInput {
  readonly source: PathInterface;
  readonly destination: PathInterface | undefined;
  readonly destinationName: string;
  readonly target: string;
  readonly search: PmtuSearchReport;
  readonly hops: readonly PathHop[];
  /** TTL-limited probes of the smallest failing size (the black-hole case), any order. */
  readonly ttlProbes: readonly PmtuProbe[];
}

/** The TTLs to probe to find where silent packets vanish: one per hop up to the destination (at most maxTtl). */
export function ttlPlan(hops: readonly PathHop[], maxTtl = 8): number[] {
  const last = hops.find((h) => h.reached)?.hop ?? hops.at(-1)?.hop ?? 1;
  return Array.from({ length: Math.min(last, maxTtl) }, (_, i) => i + 1);
}

export function locateClip(c: ClipInput): PathClip | undefined {
  const P = c.search.largestPassing;
  if (P === undefined || c.search.smallestFailing === undefined) return undefined;
  const hopOf = (address: string | undefined) => (address === undefined ? undefined : c.hops.find((h) => h.address === address));
  const frag = c.search.probes.find((p) => p.outcome === 'frag-needed' && p.from !== undefined);
  if (frag?.from !== undefined) {
    const at = hopOf(frag.from);
    const next = at ? c.hops.find((h) => h.hop === at.hop + 1) : undefined;
    const mtu = frag.mtu ?? P;
    const nextText = next ? ` toward ${label(next.address, next.name)}` : ` toward ${c.target}`;
    return {
      how: 'frag-needed',
      mtu,
      ...(at ? { hop: at.hop } : {}),
      address: frag.from,
      ...(at?.name !== undefined ? { name: at.name } : {}),
      ...(next?.address !== undefined ? { nextAddress: next.address } : {}),
      ...(next?.name !== undefined ? { nextName: next.name } : {}),
      where: `${label(frag.from, at?.name)}${at ? ` (hop ${at.hop})` : ''} forwards${nextText} over a link of MTU ${mtu}, and says so (ICMP "fragmentation needed")`,
      fixAt: `${label(frag.from, at?.name)}'s interface${nextText} and everything behind it`,
    };
  }
  if (c.search.failure === 'too-big') {
    const first = c.hops[0];
    const gw = c.source.gateway;
    const expires = c.source.cachedPmtuExpiresSeconds;
    return {
      how: 'cached',
      mtu: P,
      where:
        `${c.source.host}'s kernel had already learnt path MTU ${c.source.cachedPmtu ?? P} toward ${c.target}` +
        `${expires !== undefined ? ` (it expires in ${expires} s)` : ''} and refuses larger probes itself, so the hop cannot be probed again now` +
        `${gw !== undefined && first ? `; the first router on the way is ${label(first.address, first.name)}` : ''}`,
      fixAt: `every hop between ${c.source.host} and ${c.destinationName}`,
    };
  }
  if (c.search.failure !== 'lost') return undefined;
  // Silent: the TTL-limited probes of a failing size. Hop k answering "TTL exceeded" means the big packet got there.
  const byTtl = [...c.ttlProbes].sort((a, b) => (a.ttl ?? 0) - (b.ttl ?? 0));
  let reached = 0;
  for (const p of byTtl) {
    if (p.outcome === 'ttl-exceeded' && p.ttl === reached + 1) reached = p.ttl;
    else break;
  }
  const last = reached > 0 ? c.hops.find((h) => h.hop === reached) : undefined;
  const next = c.hops.find((h) => h.hop === reached + 1);
  const fromText = reached === 0 ? `${c.source.host} (${c.source.name})` : `${label(last?.address, last?.name)} (hop ${reached})`;
  const nextIsDestination = next === undefined || next.reached;
  const toText = nextIsDestination ? c.destinationName : `${label(next.address, next.name)} (hop ${next.hop})`;
  const l2 = reached === 0 && nextIsDestination && c.source.gateway === undefined;
  const where = l2
    ? `between ${c.source.host} (${c.source.name}) and ${c.destinationName}${c.destination ? ` (${c.destination.name})` : ''}, which share a segment with no router in between: a switch port on it${c.destination ? ` or ${c.destinationName}'s ${c.destination.name}` : ''} drops frames larger than ${P} bytes`
    : byTtl.length === 0
      ? `somewhere between ${c.source.host} and ${c.destinationName} (the hops could not be probed)`
      : `on the link from ${fromText} to ${toText}: the ${c.search.smallestFailing}-byte probes reached ${reached === 0 ? 'no hop' : `hop ${reached}`} and vanished before the next`;
  const fixAt = l2
    ? `the switch ports between ${c.source.host} and ${c.destinationName}`
    : byTtl.length === 0
      ? `every hop between ${c.source.host} and ${c.destinationName}`
      : `the link from ${fromText} to ${toText}`;
  return {
    how: 'silent',
    mtu: P,
    fixAt,
    ...(reached > 0 ? { hop: reached } : {}),
    ...(last?.address !== undefined ? { address: last.address } : {}),
    ...(last?.name !== undefined ? { name: last.name } : {}),
    ...(next?.address !== undefined ? { nextAddress: next.address } : {}),
    ...(next?.name !== undefined ? { nextName: next.name } : {}),
    where,
  };
}

/**
 * What each link of the path is known to carry, from the search and the clip. A silent drop names no MTU: the link
 * where packets vanish gets `dropsAbove`, unless it leads to the destination and the destination's NIC is that size
 * (then that NIC is the link's MTU, a NIC mismatch); the links behind it are not known.
 */
export function annotateHops(
  hops: readonly PathHop[],
  search: PmtuSearchReport | undefined,
  clip: PathClip | undefined,
  sourceMtu: number,
  destinationMtu?: number,
): PathHop[] {
  const P = search?.largestPassing;
  if (P === undefined) return [...hops];
  const clean = search?.exact === true && P === sourceMtu;
  return hops.map((h): PathHop => {
    if (clean) return { ...h, linkMtu: P };
    if (clip?.how === 'frag-needed' && clip.hop !== undefined) {
      // The refused probe reached the router: every link up to it carried that size.
      const refused = search?.probes.find((p) => p.outcome === 'frag-needed' && p.from === clip.address)?.packetBytes;
      const linkMtu = h.hop <= clip.hop ? refused : clip.mtu;
      return linkMtu !== undefined ? { ...h, linkMtu } : { ...h };
    }
    if (clip?.how === 'silent' && h.hop === (clip.hop ?? 0) + 1) {
      return h.reached && destinationMtu === P ? { ...h, linkMtu: P } : { ...h, dropsAbove: P };
    }
    return { ...h };
  });
}

// ---- ports --------------------------------------------------------------------------------------------------------

export const LIBVIRT_PORTS = [16509, 16514] as const;

export function portsReport(
  target: string,
  range: { readonly min: number; readonly max: number; readonly from: 'qemu.conf' | 'default' },
  probes: readonly PortProbe[],
): PortsReport {
  const mig = probes.filter((p) => p.port >= range.min && p.port <= range.max);
  const pick = (s: PortProbe['state']) => mig.filter((p) => p.state === s).map((p) => p.port);
  return {
    target,
    min: range.min,
    max: range.max,
    rangeFrom: range.from,
    migration: { open: pick('open'), refused: pick('refused'), timeout: pick('timeout'), unreachable: pick('unreachable'), error: pick('error') },
    libvirt: probes
      .filter((p) => (LIBVIRT_PORTS as readonly number[]).includes(p.port))
      .map((p) => ({ port: p.port, state: p.state, ...(p.message !== undefined ? { message: p.message } : {}) })),
    probeCount: probes.length,
  };
}

/** "49152-49160, 49170" */
export function portRanges(ports: readonly number[]): string {
  const sorted = [...ports].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export function portFlags(p: PortsReport, source: string, destination: string): PathFlag[] {
  const flags: PathFlag[] = [];
  const total = p.max - p.min + 1;
  const reachable = p.migration.open.length + p.migration.refused.length;
  const facts = `From ${source} to ${p.target}: of the migration ports ${p.min}-${p.max} (${p.rangeFrom === 'qemu.conf' ? `${destination}'s qemu.conf` : "libvirt's default"}), ${reachable} answer (${p.migration.open.length} open, ${p.migration.refused.length} refused: reachable, nothing listening until a migration starts)`;
  if (p.migration.timeout.length > 0) {
    flags.push({
      id: 'ports-filtered',
      severity: p.migration.timeout.length === total ? 'error' : 'warning',
      title: `Migration ports filtered: ${portRanges(p.migration.timeout)}`,
      facts: `${facts}; ${p.migration.timeout.length} time out (${portRanges(p.migration.timeout)}): a firewall drops the packets without a reply.`,
      fix: `Allow TCP ${p.min}-${p.max} from ${source} to ${p.target} in every firewall between them and on ${destination} (e.g. \`nft add rule inet filter input ip saddr <${source}'s address> tcp dport ${p.min}-${p.max} accept\`), or migrate --tunnelled through libvirt's own connection.`,
    });
  }
  const unreach = [...p.migration.unreachable, ...p.migration.error];
  if (unreach.length > 0) {
    flags.push({
      id: 'ports-unreachable',
      severity: 'error',
      title: `Migration ports unreachable: ${portRanges(unreach)}`,
      facts: `${facts}; ${unreach.length} fail at once (${portRanges(unreach)}): ${p.migration.unreachable.length > 0 ? 'no route to the host, or a firewall rejects them' : 'the probe itself failed'}.`,
      fix: `Check ${source}'s route to ${p.target} and any firewall that rejects TCP ${p.min}-${p.max} (an ICMP "administratively prohibited" reads as unreachable).`,
    });
  }
  const closedLibvirt = p.libvirt.filter((x) => x.state !== 'open');
  if (closedLibvirt.length > 0) {
    flags.push({
      id: 'libvirt-ports-closed',
      severity: 'info',
      title: `libvirt TCP/TLS ports not open: ${closedLibvirt.map((x) => `${x.port} ${x.state}`).join(', ')}`,
      facts: `From ${source} to ${p.target}: ${p.libvirt.map((x) => `${x.port} ${x.state}`).join(', ')}. They are only used by qemu+tcp:// (16509) and qemu+tls:// (16514) connections; Ferry and qemu+ssh:// do not need them.`,
      fix: `Only if migrations use qemu+tcp or qemu+tls: enable libvirtd's TCP/TLS listener on ${destination} (libvirtd-tcp.socket / libvirtd-tls.socket) and allow TCP ${closedLibvirt.map((x) => x.port).join(', ')} from ${source}.`,
    });
  }
  return flags;
}
