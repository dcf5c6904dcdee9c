/**
 * Planning the seed's network tuning from a host's current values (read fresh) and the context of a migration path.
 * Pure: no I/O, no clock. What it proposes, only where it helps:
 * - rings to their maximum, where the driver has ring settings at all (veth has none: a note, never a change);
 * - offloads gro/gso/tso on, where off and not fixed by the driver;
 * - MTU 9000 on the NIC towards the peer, only with a path MTU figure of at least 9000 (every hop carries it);
 * - TCP buffer maxima to at least twice the bandwidth-delay product (Linux gives a TCP window about half of its
 *   buffer), when both a link speed and an RTT are known.
 * Each change carries the exact argv to apply and undo it; a change that cannot be made from here (a sysctl the kernel
 * makes read-only inside a network namespace, an SSH user who is not root) is listed as blocked with the reason.
 */
import type { EthtoolFeatures, EthtoolRing } from '../parsers/ethtool';
import type { SysctlValues, TcpBufferBytes } from '../parsers/sysctl';
import { formatBitsPerSecond, formatBytes } from '../units';
import { OFFLOADS, SYSCTL_INT_MAX, isTripleSysctl, type Offload, type SysctlWritability, type TunableSysctl } from '../commands/tuning';
import { actionCommand, describeValue } from './actions';
import type { Persistence, TuningAction, TuningChange, TuningContext, TuningPlan } from './types';
import { shLine } from '../shell/quote';

export const JUMBO_MTU = 9000;
const MIB = 1024 * 1024;
/** A proposal never exceeds 1 GiB per socket, whatever the BDP (the kernel's own limit is 2 GiB - 1). */
export const BUFFER_CAP_BYTES = 1024 * MIB;
/** GRO/GSO/TSO work in units of up to 64 KiB. */
const SEGMENT_BYTES = 65536;

export interface NicState {
  readonly ifname: string;
  /** Why this NIC is in the plan: "route to hvA (10.77.2.11)". */
  readonly reason: string;
  /** The NIC this host uses to reach the peer (MTU is only planned for those). */
  readonly towardsPeer: boolean;
  readonly mtu: number;
  readonly maxMtu?: number;
  readonly kind?: string;
  /** A bridge or bond this NIC is a port of. */
  readonly master?: string;
  readonly ring: EthtoolRing;
  readonly features: EthtoolFeatures;
  /** From `ethtool IFACE`; absent when the driver reports none. */
  readonly speedMbps?: number;
}

export interface HostState {
  readonly nics: readonly NicState[];
  readonly sysctls: SysctlValues;
  readonly writability: SysctlWritability;
}

export interface PlanMeta {
  readonly id: string;
  readonly hostId: string;
  readonly hostName: string;
  readonly createdAt: string;
  readonly sysctlFile: string;
}

/** Bandwidth-delay product in bytes: bits per second / 8 x seconds. */
export function bdpBytes(linkSpeedMbps: number, rttMs: number): number {
  return ((linkSpeedMbps * 1e6) / 8) * (rttMs / 1000);
}

/** The buffer max the plan aims for: 2 x BDP rounded up to a whole MiB, at most BUFFER_CAP_BYTES. */
export function bufferTarget(bdp: number): number {
  return Math.min(BUFFER_CAP_BYTES, Math.max(MIB, Math.ceil((2 * bdp) / MIB) * MIB));
}

/** Fastest one TCP stream can go when its buffer max is `bytes` (window ~ half the buffer) at `rttMs`: Mbit/s. */
function streamCeilingMbps(bytes: number, rttMs: number): number {
  return ((bytes / 2) * 8) / (rttMs / 1000) / 1e6;
}

const mib = (b: number): string => formatBytes(b, b % MIB === 0 ? 0 : 1);
const ms = (v: number): string => `${Number(v.toPrecision(3))} ms`;

export function planTuning(state: HostState, context: TuningContext, meta: PlanMeta): TuningPlan {
  const changes: TuningChange[] = [];
  const notes: string[] = [];
  const notRoot =
    state.writability.uid === 0
      ? undefined
      : `Ferry's SSH user on ${meta.hostName} is not root (uid ${state.writability.uid}); network settings can only be changed as root.`;

  const push = (c: Omit<TuningChange, 'applyArgv' | 'undoArgv' | 'blocked'>, blocked?: string) => {
    const apply = actionCommand(c.apply);
    const undo = actionCommand(c.undo);
    if (!apply.ok || !undo.ok) {
      notes.push(`${c.title} was not proposed: ${(!apply.ok ? apply.error : !undo.ok ? undo.error : undefined)?.message ?? ''}`);
      return;
    }
    const why = blocked ?? notRoot;
    changes.push({ ...c, applyArgv: [...apply.value.argv], undoArgv: [...undo.value.argv], ...(why !== undefined ? { blocked: why } : {}) });
  };

  for (const nic of state.nics) {
    planRings(nic, context, push, notes);
    planOffloads(nic, push, notes);
    planMtu(nic, context, meta, push, notes);
  }
  planBuffers(state, context, meta, push, notes);
  if (notRoot !== undefined) notes.push(notRoot);
  return { id: meta.id, hostId: meta.hostId, hostName: meta.hostName, createdAt: meta.createdAt, context, nics: state.nics.map((n) => ({ ifname: n.ifname, reason: n.reason })), changes, notes, sysctlFile: meta.sysctlFile };
}

type Push = (c: Omit<TuningChange, 'applyArgv' | 'undoArgv' | 'blocked'>, blocked?: string) => void;

function manual(lines: string[]): Persistence {
  return { how: 'manual', advice: lines };
}

const PERSIST_LEAD = 'Lost at reboot or when the link is re-created; to keep it, add it to the network configuration this distribution uses:';

function planRings(nic: NicState, context: TuningContext, push: Push, notes: string[]): void {
  const r = nic.ring;
  if (!r.supported) {
    notes.push(`${nic.ifname}: ring sizes are not supported by this driver${nic.kind ? ` (${nic.kind})` : ''}; nothing to tune there.`);
    return;
  }
  const rx = r.current.rx !== undefined && r.max.rx !== undefined && r.current.rx < r.max.rx ? { cur: r.current.rx, max: r.max.rx } : undefined;
  const tx = r.current.tx !== undefined && r.max.tx !== undefined && r.current.tx < r.max.tx ? { cur: r.current.tx, max: r.max.tx } : undefined;
  if (!rx && !tx) {
    notes.push(`${nic.ifname}: rings already at their maximum (rx ${r.current.rx ?? '-'}, tx ${r.current.tx ?? '-'}).`);
    return;
  }
  const apply: TuningAction = { kind: 'rings', ifname: nic.ifname, ...(rx ? { rx: rx.max } : {}), ...(tx ? { tx: tx.max } : {}) };
  const undo: TuningAction = { kind: 'rings', ifname: nic.ifname, ...(rx ? { rx: rx.cur } : {}), ...(tx ? { tx: tx.cur } : {}) };
  const worst = rx ?? tx;
  const speed = nic.speedMbps ?? context.linkSpeedMbps?.value;
  const ringMs = (n: number) => ((n * nic.mtu * 8) / ((speed ?? 1) * 1e6)) * 1000;
  const why =
    worst === undefined
      ? ''
      : speed !== undefined
        ? `A ring of ${worst.cur} descriptors holds ${ms(ringMs(worst.cur))} of ${formatBitsPerSecond(speed)} traffic at MTU ${nic.mtu}; ${worst.max} hold ${ms(ringMs(worst.max))}, so a short stall of the CPU no longer drops packets.`
        : `The rings hold ${worst.cur} of a possible ${worst.max} descriptors; ${Math.round(worst.max / worst.cur)}x more room absorbs bursts before the NIC drops packets.`;
  push({
    id: `rings:${nic.ifname}`,
    kind: 'rings',
    target: nic.ifname,
    title: `Ring sizes of ${nic.ifname}`,
    current: describeValue(undo),
    proposed: describeValue(apply),
    why,
    apply,
    undo,
    persistence: manual([
      PERSIST_LEAD,
      `systemd-networkd: a .link file in /etc/systemd/network/ matching ${nic.ifname} with [Link] ${rx ? `RxBufferSize=${rx.max} ` : ''}${tx ? `TxBufferSize=${tx.max}` : ''}`.trim(),
      `NetworkManager: nmcli connection modify <connection> ${rx ? `ethtool.ring-rx ${rx.max} ` : ''}${tx ? `ethtool.ring-tx ${tx.max}` : ''}`.trim(),
      `ifupdown: post-up ${shLine`/usr/sbin/ethtool -G ${nic.ifname}`}${rx ? ` rx ${rx.max}` : ''}${tx ? ` tx ${tx.max}` : ''} in its stanza in /etc/network/interfaces`,
    ]),
  });
}

const OFFLOAD_LABEL: Readonly<Record<Offload, string>> = { gro: 'GRO', gso: 'GSO', tso: 'TSO' };
const LINK_KEY: Readonly<Record<Offload, string>> = { gro: 'GenericReceiveOffload', gso: 'GenericSegmentationOffload', tso: 'TCPSegmentationOffload' };

function planOffloads(nic: NicState, push: Push, notes: string[]): void {
  const perSegment = Math.max(1, Math.floor(SEGMENT_BYTES / nic.mtu));
  for (const offload of ['gro', 'gso', 'tso'] as const) {
    const f = nic.features.features[OFFLOADS[offload]];
    if (f === undefined) {
      notes.push(`${nic.ifname}: ethtool does not list ${OFFLOADS[offload]}.`);
      continue;
    }
    if (f.active) continue;
    if (f.fixed) {
      notes.push(`${nic.ifname}: ${OFFLOAD_LABEL[offload]} is off and fixed by the driver; it cannot be turned on.`);
      continue;
    }
    const why =
      offload === 'gro'
        ? `GRO is off on ${nic.ifname}, so every received frame of up to ${nic.mtu} bytes climbs the stack alone; on, about ${perSegment} are merged into one 64 KiB packet, ${perSegment}x fewer per-packet costs for the receiving side of a migration.`
        : offload === 'gso'
          ? `GSO is off on ${nic.ifname}, so the stack cuts each 64 KiB send into about ${perSegment} packets of ${nic.mtu} bytes early; on, it cuts them at the last moment, ${perSegment}x fewer trips through the stack.`
          : `TSO is off on ${nic.ifname}, so the CPU cuts each 64 KiB send into about ${perSegment} packets of ${nic.mtu} bytes; on, the NIC does it (it needs scatter-gather and TX checksumming on).`;
    const apply: TuningAction = { kind: 'offload', ifname: nic.ifname, offload, on: true };
    const undo: TuningAction = { kind: 'offload', ifname: nic.ifname, offload, on: false };
    push({
      id: `offload:${nic.ifname}:${offload}`,
      kind: 'offload',
      target: nic.ifname,
      title: `${OFFLOAD_LABEL[offload]} on ${nic.ifname}`,
      current: 'off',
      proposed: 'on',
      why,
      apply,
      undo,
      persistence: manual([
        PERSIST_LEAD,
        `systemd-networkd: a .link file in /etc/systemd/network/ matching ${nic.ifname} with [Link] ${LINK_KEY[offload]}=true`,
        `NetworkManager: nmcli connection modify <connection> ethtool.feature-${offload} on`,
        `ifupdown: post-up ${shLine`/usr/sbin/ethtool -K ${nic.ifname}`} ${offload} on in its stanza in /etc/network/interfaces`,
      ]),
    });
  }
}

function planMtu(nic: NicState, context: TuningContext, meta: PlanMeta, push: Push, notes: string[]): void {
  if (nic.mtu >= JUMBO_MTU) return;
  const path = context.pathMtu;
  const peer = context.peer?.name;
  if (!nic.towardsPeer || peer === undefined) {
    if (nic.towardsPeer || context.peer === undefined) notes.push(`${nic.ifname}: MTU ${nic.mtu}; MTU ${JUMBO_MTU} is only planned for the path to a peer host with a path MTU figure (choose a peer).`);
    return;
  }
  if (path === undefined) {
    notes.push(`${nic.ifname}: MTU stays ${nic.mtu}: there is no path MTU figure for the path to ${peer}, and ${JUMBO_MTU} is only proposed when every hop is known to carry it.`);
    return;
  }
  if (path.limitedByNic !== undefined && path.source === 'measured' && path.value <= nic.mtu) {
    notes.push(
      `${nic.ifname}: MTU stays ${nic.mtu}: the probe to ${peer} cannot look past ${path.limitedByNic}'s own MTU of ${nic.mtu} bytes, so it cannot tell whether the switches carry ${JUMBO_MTU}; give the path MTU if you know it (the switch configuration, or the path view measured from hosts already at ${JUMBO_MTU}).`,
    );
    return;
  }
  if (path.value < JUMBO_MTU) {
    notes.push(`${nic.ifname}: MTU stays ${nic.mtu}: the path to ${peer} carries only ${path.value} bytes (${path.source}), so ${JUMBO_MTU}-byte packets would be dropped on the way.`);
    return;
  }
  if (nic.maxMtu !== undefined && nic.maxMtu < JUMBO_MTU) {
    notes.push(`${nic.ifname}: MTU stays ${nic.mtu}: its driver allows at most ${nic.maxMtu}.`);
    return;
  }
  const apply: TuningAction = { kind: 'mtu', ifname: nic.ifname, mtu: JUMBO_MTU };
  const undo: TuningAction = { kind: 'mtu', ifname: nic.ifname, mtu: nic.mtu };
  const payload = (m: number) => m - 52; // IPv4 + TCP with timestamps
  const masterNote = nic.master !== undefined ? ` It is a port of ${nic.master}, whose MTU must be raised too.` : '';
  push({
    id: `mtu:${nic.ifname}`,
    kind: 'mtu',
    target: nic.ifname,
    title: `MTU of ${nic.ifname}`,
    current: String(nic.mtu),
    proposed: String(JUMBO_MTU),
    why: `The path to ${peer} carries ${path.value} bytes (${path.source === 'given' ? 'given' : `measured: ${path.detail}`}) but ${nic.ifname} sends ${nic.mtu}; at ${JUMBO_MTU} each packet carries ${payload(JUMBO_MTU)} bytes of TCP data instead of ${payload(nic.mtu)}, ${(payload(JUMBO_MTU) / payload(nic.mtu)).toFixed(1)}x fewer packets for the same migration stream.${masterNote}`,
    apply,
    undo,
    persistence: manual([
      PERSIST_LEAD,
      `systemd-networkd: MTUBytes=${JUMBO_MTU} in the [Link] section of the .network file for ${nic.ifname} in /etc/systemd/network/`,
      `NetworkManager: nmcli connection modify <connection> 802-3-ethernet.mtu ${JUMBO_MTU}`,
      `ifupdown: mtu ${JUMBO_MTU} in the iface ${nic.ifname} stanza of /etc/network/interfaces`,
      `The peer's NIC and every switch port on the way must stay at ${JUMBO_MTU} too (${meta.hostName} -> ${peer}).`,
    ]),
  });
}

function planBuffers(state: HostState, context: TuningContext, meta: PlanMeta, push: Push, notes: string[]): void {
  const speed = context.linkSpeedMbps;
  const rtt = context.rttMs;
  if (speed === undefined || rtt === undefined || context.bdpBytes === undefined) {
    const missing = [speed === undefined ? 'a link speed' : '', rtt === undefined ? 'an RTT (choose a peer host, or give one)' : ''].filter((s) => s !== '');
    notes.push(`TCP buffers: no bandwidth-delay product without ${missing.join(' and ')}; buffers not planned.`);
    return;
  }
  const bdp = context.bdpBytes;
  const target = bufferTarget(bdp);
  const head = `The BDP of ${formatBitsPerSecond(speed.value)} x ${ms(rtt.value)} is ${mib(bdp)}; Linux gives a TCP window about half its buffer, so the max should be at least 2 x BDP = ${mib(target)}${target === BUFFER_CAP_BYTES ? ' (capped)' : ''}`;
  const s = state.sysctls;
  const entries: { key: TunableSysctl; triple?: TcpBufferBytes; single?: number }[] = [
    { key: 'net.ipv4.tcp_rmem', ...(s.tcpRmemBytes ? { triple: s.tcpRmemBytes } : {}) },
    { key: 'net.ipv4.tcp_wmem', ...(s.tcpWmemBytes ? { triple: s.tcpWmemBytes } : {}) },
    { key: 'net.core.rmem_max', ...(s.coreRmemMaxBytes !== undefined ? { single: s.coreRmemMaxBytes } : {}) },
    { key: 'net.core.wmem_max', ...(s.coreWmemMaxBytes !== undefined ? { single: s.coreWmemMaxBytes } : {}) },
  ];
  for (const e of entries) {
    const current = e.triple?.max ?? e.single;
    if (current === undefined) {
      notes.push(`${e.key}: not readable on ${meta.hostName}; not planned.`);
      continue;
    }
    if (current >= target) {
      notes.push(`${e.key}: ${mib(current)} already covers 2 x BDP (${mib(target)}).`);
      continue;
    }
    const apply: TuningAction =
      isTripleSysctl(e.key) && e.triple
        ? { kind: 'sysctl', key: e.key, setting: { kind: 'triple', min: e.triple.min, default: Math.min(e.triple.default, target), max: Math.min(target, SYSCTL_INT_MAX) } }
        : { kind: 'sysctl', key: e.key, setting: { kind: 'single', value: Math.min(target, SYSCTL_INT_MAX) } };
    const undo: TuningAction =
      isTripleSysctl(e.key) && e.triple
        ? { kind: 'sysctl', key: e.key, setting: { kind: 'triple', min: e.triple.min, default: e.triple.default, max: e.triple.max } }
        : { kind: 'sysctl', key: e.key, setting: { kind: 'single', value: current } };
    const ceiling = formatBitsPerSecond(streamCeilingMbps(current, rtt.value));
    const role =
      e.key === 'net.ipv4.tcp_rmem'
        ? `the receive buffer max is ${mib(current)}, which limits one migration stream to about ${ceiling} at ${ms(rtt.value)}`
        : e.key === 'net.ipv4.tcp_wmem'
          ? `the send buffer max is ${mib(current)}, which limits one migration stream to about ${ceiling} at ${ms(rtt.value)}`
          : `${e.key} is ${mib(current)}; it caps the buffers programs set themselves with SO_${e.key.includes('rmem') ? 'RCV' : 'SND'}BUF (QEMU's migration stream uses autotuning, bounded by tcp_${e.key.includes('rmem') ? 'r' : 'w'}mem)`;
    const writable = state.writability.writable[e.key];
    const blocked =
      writable === false && state.writability.uid === 0
        ? `${e.key} is read-only here: the kernel does not let it be set from inside a container or a network namespace. Set it on the machine itself (${shLine`sysctl -w ${`${e.key}=${describeValue(apply)}`}`}).`
        : undefined;
    push(
      {
        id: `sysctl:${e.key}`,
        kind: 'sysctl',
        target: e.key,
        title: e.key,
        current: describeValue(undo),
        proposed: describeValue(apply),
        why: `${head}; ${role}.`,
        apply,
        undo,
        persistence: { how: 'sysctl-file', line: `${e.key} = ${describeValue(apply)}` },
      },
      blocked,
    );
  }
}

/** The context's derived figure: BDP when both a speed and an RTT are known. */
export function withBdp(context: TuningContext): TuningContext {
  const speed = context.linkSpeedMbps?.value;
  const rtt = context.rttMs?.value;
  if (speed === undefined || rtt === undefined) return context;
  return { ...context, bdpBytes: bdpBytes(speed, rtt) };
}
