/**
 * What a tuning plan is built from, read over SSH: the interfaces to tune (those that route to the peer, or every
 * one that is up with an address), the state of each (link, rings, offloads, speed), and the path towards the peer
 * (path MTU and RTT from bounded don't-fragment pings, or the figures the admin gave).
 */
import { ok, err, type Result } from '../../../shared/result';
import { ferryError, type FerryError } from '../../../shared/errors';
import type { Command } from '../../../shared/commands';
import { ethtoolFeatures, ethtoolRing, ethtoolSettings, ipRouteGet, pingDontFragment } from '../../../shared/commands/network';
import { isIpv4, isIpv6 } from '../../../shared/commands/command';
import type { HostView } from '../../../shared/inventory/types';
import type { IpLink, IpLinkWithAddresses } from '../../../shared/parsers/ip';
import type { Exec } from '../../../shared/tuning/actions';
import { withBdp, type NicState } from '../../../shared/tuning/plan';
import type { TuningContext } from '../../../shared/tuning/types';

/** Figures the admin gives instead of (or beyond) what Ferry can measure. */
export interface PathFigures {
  readonly pathMtuBytes?: number;
  readonly rttMs?: number;
  readonly linkSpeedMbps?: number;
}

export interface Target {
  readonly ifname: string;
  readonly reason: string;
  /** The peer address this NIC routes to (absent without a peer). */
  readonly address?: string;
}

/** Runs a command that may have failed to build (a bad interface name, say): that failure is the result. */
export function run<T>(exec: Exec, c: Result<Command<T>, FerryError>): Promise<Result<T, FerryError>> {
  return c.ok ? exec(c.value) : Promise.resolve(c);
}

/** The interfaces this host uses to reach the peer's addresses (migration addresses first). */
export async function routesTo(peer: HostView, exec: Exec): Promise<Result<Target[], FerryError>> {
  const addresses = peerAddresses(peer);
  if (addresses.length === 0) return err(ferryError('input.invalid', `Ferry knows no IP address of ${peer.record.name} yet (its facts have not been read).`));
  const out: Target[] = [];
  for (const address of addresses) {
    const c = ipRouteGet(address);
    if (!c.ok) continue;
    const r = await exec(c.value);
    if (!r.ok) {
      if (r.error.code === 'net.no-route') continue;
      return r;
    }
    if (out.some((t) => t.ifname === r.value.dev)) continue;
    out.push({ ifname: r.value.dev, reason: `route to ${peer.record.name} (${address})${r.value.gateway ? ` via ${r.value.gateway}` : ''}`, address });
  }
  return ok(out);
}

/** The state of each target NIC: its link, ring sizes, offloads and speed. */
export async function nicStates(targets: readonly Target[], links: readonly IpLink[], hostName: string, exec: Exec): Promise<Result<NicState[], FerryError>> {
  const nics: NicState[] = [];
  for (const t of targets) {
    const link = links.find((l) => l.ifname === t.ifname);
    if (link === undefined) return err(ferryError('net.no-such-device', `${t.ifname} is not among ${hostName}'s links.`));
    const [ring, features, settings] = await Promise.all([run(exec, ethtoolRing(t.ifname)), run(exec, ethtoolFeatures(t.ifname)), run(exec, ethtoolSettings(t.ifname))]);
    if (!ring.ok) return ring;
    if (!features.ok) return features;
    if (!settings.ok) return settings;
    const speed = settings.value.speed?.known ? settings.value.speed.megabitsPerSecond : undefined;
    nics.push({
      ifname: t.ifname,
      reason: t.reason,
      towardsPeer: t.address !== undefined,
      mtu: link.mtu,
      ...(link.maxMtu !== undefined ? { maxMtu: link.maxMtu } : {}),
      ...(link.kind !== undefined ? { kind: link.kind } : {}),
      ...(link.master !== undefined ? { master: link.master } : {}),
      ring: ring.value,
      features: features.value,
      ...(speed !== undefined ? { speedMbps: speed } : {}),
    });
  }
  return ok(nics);
}

export async function planContext(req: PathFigures, peer: HostView | undefined, targets: readonly Target[], nics: readonly NicState[], exec: Exec): Promise<TuningContext> {
  const first = targets[0];
  const firstNic = nics.find((n) => n.ifname === first?.ifname);
  let pathMtu: TuningContext['pathMtu'];
  let rttMs: TuningContext['rttMs'];
  if (req.pathMtuBytes !== undefined) pathMtu = { value: req.pathMtuBytes, source: 'given', detail: 'given for this plan' };
  if (req.rttMs !== undefined) rttMs = { value: req.rttMs, source: 'given', detail: 'given for this plan' };
  if (peer && first?.address !== undefined && firstNic) {
    const probe = await probePath(exec, first.address, firstNic.mtu);
    if (pathMtu === undefined && probe.pathMtu !== undefined) pathMtu = { ...probe.pathMtu, limitedByNic: firstNic.ifname };
    if (rttMs === undefined && probe.rtt !== undefined) rttMs = probe.rtt;
  }
  let linkSpeedMbps: TuningContext['linkSpeedMbps'];
  if (req.linkSpeedMbps !== undefined) linkSpeedMbps = { value: req.linkSpeedMbps, source: 'given', detail: 'given for this plan' };
  else {
    const measured = nics.filter((n) => (peer ? n.ifname === first?.ifname : true) && n.speedMbps !== undefined);
    const slowest = measured.sort((x, y) => (x.speedMbps ?? 0) - (y.speedMbps ?? 0))[0];
    if (slowest?.speedMbps !== undefined) linkSpeedMbps = { value: slowest.speedMbps, source: 'measured', detail: `ethtool ${slowest.ifname}` };
  }
  const peerCtx = peer && first?.address !== undefined ? { hostId: peer.record.id, name: peer.record.name, address: first.address } : undefined;
  return withBdp({
    ...(peerCtx ? { peer: peerCtx } : {}),
    ...(pathMtu ? { pathMtu } : {}),
    ...(rttMs ? { rttMs } : {}),
    ...(linkSpeedMbps ? { linkSpeedMbps } : {}),
  });
}

/** The peer's IP addresses Ferry knows: migration NICs first, then management, then the address it connects to. */
function peerAddresses(peer: HostView): string[] {
  const rank = { migration: 0, management: 1, other: 2 } as const;
  const nics = [...(peer.facts?.nics ?? [])].sort((x, y) => rank[x.role] - rank[y.role]);
  const out: string[] = [];
  for (const n of nics) {
    for (const a of n.addresses) {
      const ip = a.split('/')[0] ?? '';
      if ((isIpv4(ip) || isIpv6(ip)) && !out.includes(ip)) out.push(ip);
    }
  }
  const rec = peer.record.address;
  if ((isIpv4(rec) || isIpv6(rec)) && !out.includes(rec)) out.push(rec);
  return out.slice(0, 6);
}

/** Without a peer: every interface that is up and carries a global address (loopback left out). */
export function localNics(addrs: readonly IpLinkWithAddresses[]): Target[] {
  return addrs
    .filter((l) => l.up && l.linkType !== 'loopback' && l.addresses.some((a) => a.scope === undefined || a.scope === 'global'))
    .map((l) => ({ ifname: l.ifname, reason: `carries ${l.addresses.filter((a) => a.scope === undefined || a.scope === 'global').map((a) => a.local).join(', ')}` }));
}

/**
 * Path MTU and RTT towards the peer with at most two bounded don't-fragment pings (3 probes each): one of the NIC's
 * own MTU (the largest the probe can send) and, if that fails, one of 1500 bytes.
 */
async function probePath(
  exec: Exec,
  address: string,
  nicMtu: number,
): Promise<{ pathMtu?: { value: number; source: 'measured'; detail: string }; rtt?: { value: number; source: 'measured'; detail: string } }> {
  const sizes = nicMtu > 1500 ? [nicMtu, 1500] : [nicMtu];
  let failedAt: number | undefined;
  for (const mtu of sizes) {
    const c = pingDontFragment(address, { payloadBytes: mtu - 28, count: 3, waitSeconds: 1 });
    if (!c.ok) return {};
    const r = await exec(c.value);
    if (!r.ok) return {};
    if (r.value.outcome === 'passed') {
      const rtt = r.value.rtt;
      return {
        pathMtu: {
          value: mtu,
          source: 'measured',
          detail: failedAt === undefined ? `${mtu}-byte don't-fragment pings to ${address} passed` : `${failedAt}-byte don't-fragment pings to ${address} failed, ${mtu}-byte ones passed`,
        },
        ...(rtt ? { rtt: { value: rtt.avgMs, source: 'measured' as const, detail: `average of ${r.value.stats?.received ?? 3} pings to ${address}` } } : {}),
      };
    }
    failedAt = mtu;
  }
  return {};
}
