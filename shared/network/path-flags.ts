/**
 * The path check's flags about one route (link down, no answer, MTU mismatch or drop on the path, a DF search that
 * ran out of probes) and about the pair of routes (a migration NIC slower than the management one), each with a
 * severity, a sentence of facts and what to change where; and their order for display. Pure.
 */
import type { PathFlag, PathRoute, RouteKind } from './path-report';
import { countOf } from '../count';
import { shLine } from '../shell/quote';
import { label } from './path-analysis';

// ---- flags --------------------------------------------------------------------------------------------------------

const ROUTE_WORD: Readonly<Record<RouteKind, string>> = { management: 'management address', migration: 'migration address', given: 'address' };

export interface RouteNames {
  readonly source: string;
  readonly destination: string;
}

export function routeFlags(r: PathRoute, n: RouteNames): PathFlag[] {
  const flags: PathFlag[] = [];
  const route = r.kind;
  const to = `${n.destination}'s ${ROUTE_WORD[r.kind]} ${r.target}`;
  for (const side of [r.source, r.destination]) {
    if (!side) continue;
    if (!side.adminUp || !side.carrier || side.operState === 'down') {
      const state = !side.adminUp ? 'administratively down' : !side.carrier ? 'up but without carrier (no link)' : `operstate ${side.operState}`;
      flags.push({
        id: 'link-down',
        severity: 'error',
        route,
        title: `${side.host}'s ${side.name} is down`,
        facts: `${side.host}'s ${side.name}, the interface toward ${side.host === n.source ? to : n.source}, is ${state}.`,
        fix: !side.adminUp
          ? `On ${side.host}: \`${shLine`ip link set dev ${side.name} up`}\` (and enable it in the network configuration).`
          : `Check ${side.host}'s ${side.name} cable/transceiver and the switch port it plugs into (${shLine`ethtool ${side.name}`} shows "Link detected").`,
      });
    }
  }
  const search = r.pmtu;
  if (search === undefined || search.largestPassing === undefined) {
    const small = search?.probes[0];
    flags.push({
      id: 'unreachable',
      severity: 'error',
      route,
      title: `${n.source} gets no answer from ${r.target}`,
      facts: `A small ping from ${n.source} to ${to} ${small ? (small.outcome === 'unreachable' ? 'was answered "unreachable"' : small.outcome === 'error' ? `could not run (${small.error ?? 'error'})` : 'got no reply') : 'could not run'}, so the path MTU cannot be measured.`,
      fix: `Check the route from ${n.source} to ${r.target} (\`${shLine`ip route get ${r.target}`}\` on ${n.source}) and that ${n.destination} answers ICMP echo (a firewall that drops ping also hides PMTU problems).`,
    });
    return flags;
  }
  const s = r.source;
  const d = r.destination;
  const P = search.largestPassing;
  const probes = countOf(search.probes.length, 'DF probe');
  const sameSegment = s !== undefined && d !== undefined && s.gateway === undefined && d.gateway === undefined;
  const mismatch = s !== undefined && d !== undefined && s.mtu !== d.mtu;
  if (mismatch) {
    const [big, small] = s.mtu > d.mtu ? [s, d] : [d, s];
    flags.push({
      id: 'nic-mtu-mismatch',
      severity: sameSegment ? 'warning' : 'info',
      route,
      title: `NIC MTUs differ: ${s.host} ${s.mtu}, ${d.host} ${d.mtu}`,
      facts: sameSegment
        ? `${s.host}'s ${s.name} has MTU ${s.mtu} and ${d.host}'s ${d.name} MTU ${d.mtu}, on the same segment (no router between): ${small.host} drops frames larger than ${small.mtu} bytes without an ICMP error, so ${big.host}'s larger packets vanish (largest DF ping that passed: ${P}, ${probes}). TCP is spared (each end announces a segment size that fits its own MTU); anything else that sends large packets is not.`
        : `${s.host}'s ${s.name} has MTU ${s.mtu} and ${d.host}'s ${d.name} MTU ${d.mtu}; they are on different networks (via ${s.gateway ?? d.gateway ?? 'a router'}), so the routers between them must announce the smaller MTU (path MTU measured: ${P}).`,
      fix: sameSegment
        ? `Use one MTU on the segment: on ${small.host}, \`${shLine`ip link set dev ${small.name} mtu ${big.mtu}`}\` and the same in its network configuration (if every switch port between them carries ${big.mtu}); otherwise set ${big.host}'s ${big.name} to ${small.mtu}.`
        : `Nothing breaks while the routers announce it; for jumbo frames end to end, raise ${small.host}'s ${small.name} and every hop between to ${big.mtu}.`,
    });
  }
  const clip = r.clip;
  if (s !== undefined && P < s.mtu && !(sameSegment && mismatch && d !== undefined && P >= Math.min(s.mtu, d.mtu))) {
    const failing = search.smallestFailing;
    if (search.failure === 'lost') {
      const both = d !== undefined && P < Math.min(s.mtu, d.mtu);
      flags.push({
        id: 'black-hole',
        severity: both ? 'error' : 'warning',
        route,
        title: `MTU black hole: packets over ${P} bytes vanish${clip?.how === 'silent' ? ` (${clip.fixAt})` : ''}`,
        facts: `${s.host}'s ${s.name} is MTU ${s.mtu}${d ? ` and ${d.host}'s ${d.name} MTU ${d.mtu}` : ''}, but DF pings to ${r.target} larger than ${P} bytes${failing !== undefined ? ` (${failing} and up)` : ''} vanish with no ICMP "fragmentation needed" (${probes}): ${clip?.where ?? 'the hop could not be located'}. TCP cannot discover this; a migration over it stalls or crawls.`,
        fix: `Raise the MTU to ${Math.min(s.mtu, d?.mtu ?? s.mtu)} on ${clip?.fixAt ?? `every hop between ${s.host} and ${n.destination}`}, or lower both NICs to ${P} until it carries it; and let ICMP type 3 code 4 ("fragmentation needed") through so hosts can adapt.`,
      });
    } else if (search.failure === 'frag-needed' || search.failure === 'too-big') {
      const hop = clip?.how === 'frag-needed' ? `${label(clip.address, clip.name)}${clip.hop !== undefined ? ` (hop ${clip.hop})` : ''}` : undefined;
      flags.push({
        id: 'path-mtu-drop',
        severity: 'warning',
        route,
        title: hop ? `Path MTU ${P} at ${hop}` : `Path MTU ${P} (learnt earlier)`,
        facts: `The path from ${s.host} to ${to} carries ${P}-byte packets at most (largest DF ping that passed, ${probes}) while ${s.host}'s ${s.name} sends up to ${s.mtu}: ${clip?.where ?? 'the hop is not known'}. Path MTU discovery works here, but the migration runs at ${P} bytes per packet.`,
        fix:
          clip?.how === 'cached'
            ? `To name the hop: on ${s.host}, \`ip route flush cache\` (the kernel re-learns path MTUs at once) and check again. To migrate with ${s.mtu}-byte packets, every hop to ${n.destination} must carry ${s.mtu}.`
            : `To migrate with ${s.mtu}-byte packets, raise the MTU to ${s.mtu} on ${clip?.fixAt ?? `every hop between ${s.host} and ${n.destination}`}; or migrate over an address on a network that carries ${s.mtu} end to end.`,
      });
    }
  }
  if (search.failure === 'too-big' && s?.cachedPmtu !== undefined) {
    flags.push({
      id: 'pmtu-cached',
      severity: 'info',
      route,
      title: `${s.host} has a cached path MTU of ${s.cachedPmtu} toward ${r.target}`,
      facts: `${s.host}'s route cache holds path MTU ${s.cachedPmtu} for ${r.target}${s.cachedPmtuExpiresSeconds !== undefined ? ` (expires in ${s.cachedPmtuExpiresSeconds} s)` : ''}: a router announced it before this check, and the kernel refuses larger DF packets itself until then.`,
      fix: `Nothing needed; \`ip route flush cache\` on ${s.host} forgets it, so a new check can name the hop.`,
    });
  }
  if (!search.exact) {
    flags.push({
      id: 'check-incomplete',
      severity: 'info',
      route,
      title: `Path MTU between ${P} and ${(search.smallestFailing ?? P + 1) - 1}`,
      facts: `The DF search stopped at its probe budget (${probes} in ${countOf(search.rounds, 'round')}): ${P} bytes pass, ${search.smallestFailing ?? '?'} do not.`,
      fix: 'Run the check again; sizes between are likely lost at random (a lossy link), which is worth its own look.',
    });
  }
  return flags;
}

/** Flags about the pair: a migration NIC slower than the management one. */
export function pairFlags(routes: readonly PathRoute[]): PathFlag[] {
  const mgmt = routes.find((r) => r.kind === 'management');
  const mig = routes.filter((r) => r.kind === 'migration');
  const flags: PathFlag[] = [];
  for (const m of mig) {
    for (const side of ['source', 'destination'] as const) {
      const a = m[side];
      const b = mgmt?.[side];
      if (typeof a?.speedMbps !== 'number' || typeof b?.speedMbps !== 'number' || a.speedMbps >= b.speedMbps) continue;
      flags.push({
        id: 'migration-nic-slower',
        severity: 'warning',
        route: 'migration',
        title: `${a.host}'s migration NIC is slower than its management NIC`,
        facts: `On ${a.host}, the migration network (${m.target}) runs over ${a.name} at ${a.speedMbps} Mb/s, the management network over ${b.name} at ${b.speedMbps} Mb/s.`,
        fix: `Move the migration network to a NIC at least as fast as ${b.name} on ${a.host} (or a bond), or migrate over the management address until it is.`,
      });
    }
  }
  return flags;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function sortFlags(flags: readonly PathFlag[]): PathFlag[] {
  return [...flags].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
