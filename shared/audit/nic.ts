/**
 * Per-NIC checks of the readiness audit: link settings (`ethtool IFACE`), ring sizes current vs maximum
 * (`ethtool -g`), the offloads a migration stream leans on (GRO, GSO, TSO from `ethtool -k`), the driver
 * (`ethtool -i`) and the error/drop/overrun counters (`ip -s -j link`). Pure: each takes what the parsers returned,
 * including their errors, and gives findings.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { IpLink, IpLinkStats } from '../parsers/ip';
import type { EthtoolDriver, EthtoolFeatures, EthtoolRing, EthtoolSettings, RingSizes } from '../parsers/ethtool';
import { formatBitsPerSecond } from '../units';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

/** Link kinds that are not a NIC a migration leaves through (bridges, tunnels, tap devices of guests, bonds: checked as bonds). */
const NOT_A_NIC = new Set(['bridge', 'tun', 'tap', 'dummy', 'vxlan', 'geneve', 'gre', 'gretap', 'ipip', 'sit', 'wireguard', 'macvtap', 'openvswitch', 'bond', 'team', 'ifb', 'vrf']);

/** The links the audit checks: Ethernet links that are not loopback, bridges, tunnels, guest taps or bond masters. */
export function auditedNics(links: readonly IpLink[]): IpLink[] {
  return links.filter((l) => l.linkType === 'ether' && !(l.kind !== undefined && NOT_A_NIC.has(l.kind)) && !/^(vnet|virbr)\d/.test(l.ifname));
}

export function linkFinding(nic: string, r: Result<EthtoolSettings, FerryError>): Finding {
  const title = `${nic} link`;
  if (!r.ok) return errorFinding('nic-link', nic, title, r.error);
  const s = r.value;
  const speed = s.speed === undefined ? 'no speed reported' : s.speed.known ? formatBitsPerSecond(s.speed.megabitsPerSecond) : 'speed unknown';
  const duplex = s.duplex === undefined ? 'duplex not reported' : s.duplex === 'unknown' ? 'duplex unknown' : `${s.duplex} duplex`;
  const an = s.autoNegotiation === undefined ? '' : `, auto-negotiation ${s.autoNegotiation ? 'on' : 'off'}`;
  const facts = `${nic}: ${speed}, ${duplex}${an}, link ${s.linkDetected === false ? 'NOT detected' : s.linkDetected ? 'detected' : 'state not reported'}.`;
  if (s.linkDetected === false) {
    return finding('nic-link', nic, 'fail', title, facts, { fix: `Check the cable and the switch port of ${nic}; \`${shLine`ip link set dev ${nic} up`}\` if it is administratively down.` });
  }
  if (s.duplex === 'half') {
    return finding('nic-link', nic, 'warn', title, facts, { fix: `Half duplex halves throughput: set both ends to auto-negotiate (\`${shLine`ethtool -s ${nic} autoneg on`}\`) or to the same fixed speed and full duplex.` });
  }
  return finding('nic-link', nic, 'pass', title, facts);
}

function ringText(r: RingSizes): string {
  const parts: string[] = [];
  if (r.rx !== undefined) parts.push(`RX ${r.rx}`);
  if (r.tx !== undefined) parts.push(`TX ${r.tx}`);
  return parts.length === 0 ? 'none reported' : parts.join(', ');
}

export function ringFinding(nic: string, driver: string | undefined, r: Result<EthtoolRing, FerryError>): Finding {
  const title = `${nic} ring sizes`;
  if (!r.ok) return errorFinding('nic-rings', nic, title, r.error);
  const g = r.value;
  if (!g.supported) {
    return finding('nic-rings', nic, 'unsupported', title, `${nic}: ring sizes are not supported by this driver${driver === undefined ? '' : ` (${driver})`}; there is nothing to tune.`, { detail: g.detail });
  }
  const below: string[] = [];
  const args: string[] = [];
  for (const k of ['rx', 'tx'] as const) {
    const cur = g.current[k];
    const max = g.max[k];
    if (cur !== undefined && max !== undefined && cur < max) {
      below.push(`${k.toUpperCase()} ${cur} of ${max}`);
      args.push(k, String(max));
    }
  }
  const facts = `${nic}: current ${ringText(g.current)}; maximum ${ringText(g.max)}.`;
  if (below.length === 0) return finding('nic-rings', nic, 'pass', title, facts);
  return finding('nic-rings', nic, 'warn', title, `${facts} Below the maximum: ${below.join(', ')}; small rings drop packets in bursts.`, {
    // rx/tx and the maxima are Ferry's words and the host's numbers: only the interface name needs quoting.
    fix: `${shLine`ethtool -G ${nic}`} ${args.join(' ')} (persist it in the interface's configuration, e.g. a post-up line in /etc/network/interfaces or a systemd .link file).`,
  });
}

/** The three offloads the audit reports, by ethtool's feature names. */
export const MIGRATION_OFFLOADS = [
  ['gro', 'generic-receive-offload'],
  ['gso', 'generic-segmentation-offload'],
  ['tso', 'tcp-segmentation-offload'],
] as const;

export function offloadFinding(nic: string, r: Result<EthtoolFeatures, FerryError>): Finding {
  const title = `${nic} offloads`;
  if (!r.ok) return errorFinding('nic-offloads', nic, title, r.error);
  const states: string[] = [];
  const switchable: string[] = [];
  const fixedOff: string[] = [];
  const unknown: string[] = [];
  for (const [short, name] of MIGRATION_OFFLOADS) {
    const f = r.value.features[name];
    if (f === undefined) {
      unknown.push(short);
      states.push(`${short.toUpperCase()} not listed`);
      continue;
    }
    states.push(`${short.toUpperCase()} ${f.active ? 'on' : 'off'}${f.fixed ? ' [fixed]' : ''}`);
    if (!f.active) (f.fixed ? fixedOff : switchable).push(short);
  }
  const facts = `${nic}: ${states.join(', ')}.`;
  if (switchable.length > 0) {
    return finding('nic-offloads', nic, 'warn', title, `${facts} Without them the CPU segments and reassembles every packet of the migration stream.`, {
      fix: `${shLine`ethtool -K ${nic}`} ${switchable.map((s) => `${s} on`).join(' ')} (and persist it in the interface's configuration).`,
    });
  }
  if (fixedOff.length > 0 || unknown.length > 0) {
    return finding('nic-offloads', nic, 'unsupported', title, `${facts} ${[...fixedOff, ...unknown].map((s) => s.toUpperCase()).join(', ')} cannot be turned on with this driver.`);
  }
  return finding('nic-offloads', nic, 'pass', title, facts);
}

export function driverFinding(nic: string, r: Result<EthtoolDriver, FerryError>): Finding {
  const title = `${nic} driver`;
  if (!r.ok) return errorFinding('nic-driver', nic, title, r.error);
  const d = r.value;
  const parts = [`driver ${d.driver}`];
  if (d.version !== undefined) parts.push(`version ${d.version}`);
  if (d.firmwareVersion !== undefined) parts.push(`firmware ${d.firmwareVersion}`);
  parts.push(d.busInfo === undefined ? 'no bus (a virtual device)' : `bus ${d.busInfo}`);
  return finding('nic-driver', nic, 'pass', title, `${nic}: ${parts.join(', ')}.`);
}

export function counterFinding(nic: string, stats: Result<readonly IpLinkStats[], FerryError>): Finding {
  const title = `${nic} errors and drops`;
  if (!stats.ok) return errorFinding('nic-counters', nic, title, stats.error);
  const s = stats.value.find((x) => x.ifname === nic);
  if (s === undefined) return finding('nic-counters', nic, 'fail', title, `Not checked: \`ip -s -j link\` listed no counters for ${nic}.`);
  const counts: [string, number][] = [
    ['RX errors', s.rx.errors],
    ['RX dropped', s.rx.dropped],
    ['RX overruns', s.rx.overruns ?? 0],
    ['TX errors', s.tx.errors],
    ['TX dropped', s.tx.dropped],
  ];
  const nonzero = counts.filter(([, n]) => n > 0);
  const facts = `${nic}: ${counts.map(([k, n]) => `${k} ${n}`).join(', ')} (of ${s.rx.packets} received and ${s.tx.packets} sent packets since the counters were last reset).`;
  if (nonzero.length === 0) return finding('nic-counters', nic, 'pass', title, facts);
  const overruns = (s.rx.overruns ?? 0) > 0 || s.rx.dropped > 0;
  return finding('nic-counters', nic, 'warn', title, facts, {
    fix: overruns
      ? `Receive drops/overruns usually mean the RX ring is too small or the CPU handling ${nic}'s interrupts is busy: raise the ring (${shLine`ethtool -G ${nic} rx`} <max>) and spread interrupts (irqbalance), then watch whether the counters still grow.`
      : `Errors point at the cable, the transceiver or the switch port of ${nic}: check them and the switch's own counters.`,
  });
}
