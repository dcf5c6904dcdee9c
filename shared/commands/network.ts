/**
 * Network inspection commands. Values a user can type (interface names, addresses, sizes) are validated first, so
 * these builders return a Result: `input.invalid` instead of a command line that could be misread.
 * Interface names go after iproute2's `dev` keyword; addresses after `to`; ping and tracepath get `--` before DEST.
 */
import { ok, err, type Result } from '../result';
import type { FerryError } from '../errors';
import {
  parseIpAddr,
  parseIpLink,
  parseIpLinkStats,
  parseIpRouteGet,
  type IpLink,
  type IpLinkStats,
  type IpLinkWithAddresses,
  type IpRoute,
} from '../parsers/ip';
import {
  parseEthtoolDriver,
  parseEthtoolFeatures,
  parseEthtoolRing,
  parseEthtoolSettings,
  type EthtoolDriver,
  type EthtoolFeatures,
  type EthtoolRing,
  type EthtoolSettings,
} from '../parsers/ethtool';
import { parseSysctl, parseSysctlN, type SysctlValues } from '../parsers/sysctl';
import { parsePing, type PingResult } from '../parsers/ping';
import { parseTracepath, type TracepathResult } from '../parsers/tracepath';
import { checkDestination, checkInterfaceName, checkIpAddress, checkWholeNumber, command, type Command } from './command';
import { ferryError } from '../errors';

const QUICK_MS = 5_000;

function withIface<T>(
  iface: string | undefined,
  build: (devArgs: string[]) => Command<T>,
): Result<Command<T>, FerryError> {
  if (iface === undefined) return ok(build([]));
  const name = checkInterfaceName(iface);
  return name.ok ? ok(build(['dev', name.value])) : name;
}

/** `ip -j -d link show [dev IFACE]` (-d adds min/max MTU and the link kind). */
export function ipLink(iface?: string): Result<Command<IpLink[]>, FerryError> {
  return withIface(iface, (dev) => command('network links', ['ip', '-j', '-d', 'link', 'show', ...dev], parseIpLink, QUICK_MS));
}

/** `ip -j addr show [dev IFACE]`. */
export function ipAddr(iface?: string): Result<Command<IpLinkWithAddresses[]>, FerryError> {
  return withIface(iface, (dev) => command('network addresses', ['ip', '-j', 'addr', 'show', ...dev], parseIpAddr, QUICK_MS));
}

/** `ip -s -j link show [dev IFACE]`: cumulative rx/tx counters. */
export function ipLinkStats(iface?: string): Result<Command<IpLinkStats[]>, FerryError> {
  return withIface(iface, (dev) =>
    command('interface counters', ['ip', '-s', '-j', 'link', 'show', ...dev], parseIpLinkStats, QUICK_MS),
  );
}

/** `ip -j route get to ADDR`: which interface, gateway and cached path MTU this host would use. */
export function ipRouteGet(address: string): Result<Command<IpRoute>, FerryError> {
  const a = checkIpAddress(address);
  if (!a.ok) return a;
  return ok(command(`route to ${a.value}`, ['ip', '-j', 'route', 'get', 'to', a.value], parseIpRouteGet, QUICK_MS));
}

function ethtool<T>(
  iface: string,
  flag: string | undefined,
  name: string,
  parse: (text: string) => Result<T, FerryError>,
): Result<Command<T>, FerryError> {
  const i = checkInterfaceName(iface);
  if (!i.ok) return i;
  const argv = flag === undefined ? ['ethtool', i.value] : ['ethtool', flag, i.value];
  return ok(command(`${name} of ${i.value}`, argv, parse, QUICK_MS));
}

export const ethtoolSettings = (iface: string): Result<Command<EthtoolSettings>, FerryError> =>
  ethtool(iface, undefined, 'link settings', parseEthtoolSettings);
export const ethtoolRing = (iface: string): Result<Command<EthtoolRing>, FerryError> =>
  ethtool(iface, '-g', 'ring sizes', parseEthtoolRing);
export const ethtoolFeatures = (iface: string): Result<Command<EthtoolFeatures>, FerryError> =>
  ethtool(iface, '-k', 'offloads', parseEthtoolFeatures);
export const ethtoolDriver = (iface: string): Result<Command<EthtoolDriver>, FerryError> =>
  ethtool(iface, '-i', 'driver', parseEthtoolDriver);

/** The kernel settings that bound a migration stream's TCP window. */
export const NET_BUFFER_SYSCTLS = [
  'net.core.rmem_max',
  'net.core.wmem_max',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_mtu_probing',
] as const;

const SYSCTL_KEY = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/;

function checkSysctlKeys(keys: readonly string[]): Result<readonly string[], FerryError> {
  const bad = keys.find((k) => !SYSCTL_KEY.test(k));
  if (keys.length === 0 || bad !== undefined) {
    return err(ferryError('input.invalid', bad === undefined ? 'No sysctl keys given.' : `"${bad}" is not a sysctl key.`));
  }
  return ok(keys);
}

/** `sysctl KEY...` (key = value lines). */
export function sysctl(keys: readonly string[] = NET_BUFFER_SYSCTLS): Result<Command<SysctlValues>, FerryError> {
  const k = checkSysctlKeys(keys);
  if (!k.ok) return k;
  return ok(command('kernel network settings', ['sysctl', ...k.value], parseSysctl, QUICK_MS));
}

/** `sysctl -n KEY...` (values only, matched to the keys by order). */
export function sysctlValues(keys: readonly string[] = NET_BUFFER_SYSCTLS): Result<Command<SysctlValues>, FerryError> {
  const k = checkSysctlKeys(keys);
  if (!k.ok) return k;
  const asked = [...k.value];
  return ok(command('kernel network settings', ['sysctl', '-n', ...asked], (text) => parseSysctlN(text, asked), QUICK_MS));
}

export interface PingOptions {
  /** ICMP payload bytes (-s); the IPv4 packet is 28 bytes larger. An MTU of M is probed with M - 28. */
  readonly payloadBytes: number;
  /** Probes to send (-c); default 3. */
  readonly count?: number;
  /** Seconds to wait for each reply (-W); default 1. */
  readonly waitSeconds?: number;
}

/** `ping -n -M do -s SIZE -c N -W T -- DEST`: Don't-Fragment probe of one packet size. */
export function pingDontFragment(destination: string, opts: PingOptions): Result<Command<PingResult>, FerryError> {
  const d = checkDestination(destination);
  if (!d.ok) return d;
  const size = checkWholeNumber('Ping payload size', opts.payloadBytes, 0, 65507);
  if (!size.ok) return size;
  const count = checkWholeNumber('Ping count', opts.count ?? 3, 1, 100);
  if (!count.ok) return count;
  const wait = checkWholeNumber('Ping wait', opts.waitSeconds ?? 1, 1, 60);
  if (!wait.ok) return wait;
  const argv = ['ping', '-n', '-M', 'do', '-s', String(size.value), '-c', String(count.value), '-W', String(wait.value), '--', d.value];
  // One probe per second, the last one waits up to -W seconds, plus slack for the process itself.
  const timeoutMs = (count.value + wait.value + 3) * 1000;
  return ok(command(`${size.value + 28}-byte DF ping to ${d.value}`, argv, parsePing, timeoutMs));
}

/** `tracepath -n -m MAXHOPS -- DEST`: hop-by-hop path MTU. tracepath exits 0 even on failure; the parser decides. */
export function tracepath(destination: string, opts: { readonly maxHops?: number } = {}): Result<Command<TracepathResult>, FerryError> {
  const d = checkDestination(destination);
  if (!d.ok) return d;
  const hops = checkWholeNumber('Maximum hops', opts.maxHops ?? 10, 1, 255);
  if (!hops.ok) return hops;
  // Up to 3 probes per hop, each waiting ~1 s when nothing answers.
  const timeoutMs = (hops.value * 3 + 5) * 1000;
  return ok(command(`path MTU to ${d.value}`, ['tracepath', '-n', '-m', String(hops.value), '--', d.value], parseTracepath, timeoutMs));
}

// ---- the path check (shared/network/path*.ts) -------------------------------------------------------------------

export interface PmtuProbeOptions {
  /** The whole IPv4 packet to try (ICMP payload + 28). */
  readonly packetBytes: number;
  /** How long to wait for a reply after the last echo request, ms (ping -W takes fractions of a second). */
  readonly waitMs: number;
  /** Echo requests (-c), 50 ms apart: one lost packet does not make a size look blocked. Default 2. */
  readonly count?: number;
  /** IP TTL (-t): a router at hop TTL answers "Time to live exceeded" if the packet got that far. */
  readonly ttl?: number;
}

/**
 * `ping -n -M do -s SIZE -c N -i 0.05 -W SECONDS [-t TTL] -- DEST`: one probe of the path-MTU search, sized as the
 * whole IP packet. Unlike pingDontFragment it waits fractions of a second (a silent drop, the black-hole signature,
 * costs only the wait) and can stop at a hop (TTL).
 */
export function pmtuProbe(destination: string, opts: PmtuProbeOptions): Result<Command<PingResult>, FerryError> {
  const d = checkDestination(destination);
  if (!d.ok) return d;
  const packet = checkWholeNumber('Probe packet size', opts.packetBytes, 28, 65535);
  if (!packet.ok) return packet;
  const wait = checkWholeNumber('Probe wait (ms)', opts.waitMs, 10, 10_000);
  if (!wait.ok) return wait;
  const count = checkWholeNumber('Probe count', opts.count ?? 2, 1, 10);
  if (!count.ok) return count;
  const ttl = opts.ttl === undefined ? undefined : checkWholeNumber('Probe TTL', opts.ttl, 1, 255);
  if (ttl !== undefined && !ttl.ok) return ttl;
  const argv = [
    'ping', '-n', '-M', 'do', '-s', String(packet.value - 28), '-c', String(count.value), '-i', '0.05',
    '-W', (wait.value / 1000).toFixed(3),
    ...(ttl === undefined ? [] : ['-t', String(ttl.value)]),
    '--', d.value,
  ];
  const timeoutMs = count.value * 50 + wait.value + 3_000;
  const what = `${packet.value}-byte DF probe to ${d.value}${ttl === undefined ? '' : ` (TTL ${ttl.value})`}`;
  return ok(command(what, argv, parsePing, timeoutMs));
}

/**
 * `tracepath -b -l START -m MAXHOPS -- DEST`: the hops, each as `name (address)` where the host resolves the name
 * (`??? (address)` where it does not). START is the first probe size: the path check passes the largest size its
 * DF search saw pass, so a silent black hole cannot stall tracepath (its probes of the interface's size never come
 * back and it waits for each of them).
 */
export function tracepathNamed(destination: string, opts: { readonly startBytes: number; readonly maxHops?: number }): Result<Command<TracepathResult>, FerryError> {
  const d = checkDestination(destination);
  if (!d.ok) return d;
  const start = checkWholeNumber('First probe size', opts.startBytes, 68, 65535);
  if (!start.ok) return start;
  const hops = checkWholeNumber('Maximum hops', opts.maxHops ?? 10, 1, 64);
  if (!hops.ok) return hops;
  const argv = ['tracepath', '-b', '-l', String(start.value), '-m', String(hops.value), '--', d.value];
  return ok(command(`hops to ${d.value}`, argv, parseTracepath, (hops.value * 3 + 5) * 1000));
}

