/**
 * Bonding: for each bond its mode (802.3ad or not), its members and their state. A single migration stream is one
 * TCP flow, which any bond mode keeps on one member; 802.3ad (LACP) with a layer3+4 hash at least spreads parallel
 * streams (`virsh migrate --parallel`) over the members and tells the switch what the bond is.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { Bond, BondingProbe } from '../parsers/bonding';
import { errorFinding, finding, type Finding } from './types';
import { shLine } from '../shell/quote';

function members(b: Bond): string {
  if (b.members.length === 0) return 'no members';
  return b.members
    .map((m) => `${m.name} ${m.miiStatus}${m.speedMbps === undefined ? '' : ` ${m.speedMbps} Mb/s`}${m.aggregatorId === undefined ? '' : ` aggregator ${m.aggregatorId}`}`)
    .join(', ');
}

export function bondFinding(b: Bond): Finding {
  const title = `Bond ${b.name}`;
  const head = `${b.name}: mode ${b.mode} (${b.modeText})${b.transmitHashPolicy === undefined ? '' : `, hash ${b.transmitHashPolicy}`}, link ${b.miiStatus ?? 'unknown'}; members: ${members(b)}.`;
  const down = b.members.filter((m) => m.miiStatus !== 'up');
  if (b.members.length === 0 || down.length === b.members.length) {
    return finding('bonding', b.name, 'fail', title, `${head} No member is up.`, { fix: `Check the cables and switch ports of ${b.name}'s members (${shLine`cat ${`/proc/net/bonding/${b.name}`}`}).` });
  }
  if (down.length > 0) {
    return finding('bonding', b.name, 'warn', title, `${head} ${down.map((m) => m.name).join(', ')} down: the bond runs without redundancy and with less bandwidth.`, {
      fix: `Bring ${down.map((m) => m.name).join(', ')} back (cable, switch port, \`ip link set dev NAME up\`), then check ${shLine`cat ${`/proc/net/bonding/${b.name}`}`}.`,
    });
  }
  if (b.mode === '802.3ad') {
    const outside = b.activeAggregatorId === undefined ? [] : b.members.filter((m) => m.aggregatorId !== undefined && m.aggregatorId !== b.activeAggregatorId);
    if (outside.length > 0) {
      return finding('bonding', b.name, 'warn', title, `${head} ${outside.map((m) => m.name).join(', ')} did not join the active aggregator ${b.activeAggregatorId ?? ''}: LACP is not negotiated with the switch on them.`, {
        fix: `Configure the switch ports of ${b.members.map((m) => m.name).join(', ')} as one LACP port-channel (mode active).`,
      });
    }
    return finding('bonding', b.name, 'pass', title, head);
  }
  return finding('bonding', b.name, 'warn', title, `${head} Not 802.3ad: a migration gets one member's bandwidth and parallel streams cannot be spread.`, {
    fix: `Set ${b.name} to mode 802.3ad with xmit_hash_policy layer3+4 (e.g. bond-mode 802.3ad and bond-xmit-hash-policy layer3+4 in /etc/network/interfaces) and make its switch ports an LACP port-channel; migrate with --parallel to use more than one member.`,
  });
}

export function bondingFindings(probe: Result<BondingProbe, FerryError>): Finding[] {
  if (!probe.ok) return [errorFinding('bonding', 'host', 'Bonds', probe.error)];
  const p = probe.value;
  if (!p.loaded) return [finding('bonding', 'host', 'pass', 'Bonds', 'No bonds: the bonding driver is not loaded on this host (no /proc/net/bonding).')];
  if (p.bonds.length === 0) return [finding('bonding', 'host', 'pass', 'Bonds', 'No bonds: the bonding driver is loaded but /proc/net/bonding lists none.')];
  return p.bonds.map(bondFinding);
}
