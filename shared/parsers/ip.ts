/**
 * iproute2 JSON output (`ip -j ...`, iproute2 6.1): links, addresses, `route get`, link statistics. The JSON shape is
 * checked with zod; fields Ferry does not use are dropped. iproute2's own errors (stderr, exit 1/2) are mapped to
 * typed errors: `Device "x" does not exist.` -> net.no-such-device, `RTNETLINK answers: Network is unreachable` ->
 * net.no-route.
 */
import { z } from 'zod';
import { ok, err, type Result } from '../result';
import { ferryError, type FerryError } from '../errors';
import { compact, contentLines, emptyOutput, fail, firstLine } from './text';

export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  /** Administratively up (`UP` flag). */
  readonly up: boolean;
  /** Carrier present (`LOWER_UP` flag). */
  readonly lowerUp: boolean;
  readonly mtu: number;
  readonly operstate?: string;
  readonly qdisc?: string;
  readonly txqlen?: number;
  readonly linkType?: string;
  readonly address?: string;
  /** Bridge or bond this link is enslaved to. */
  readonly master?: string;
  /** The peer's ifindex for veth pairs (`link_index`); with `link_netnsid` it lives in another namespace. */
  readonly linkIndex?: number;
  readonly linkNetnsid?: number;
  /** From `ip -d`: `min_mtu`, `max_mtu`, `linkinfo.info_kind` (`veth`, `bridge`, ...). */
  readonly minMtu?: number;
  readonly maxMtu?: number;
  readonly kind?: string;
}

export interface IpAddress {
  readonly family: 'inet' | 'inet6' | string;
  readonly local: string;
  readonly prefixlen: number;
  readonly scope?: string;
  readonly broadcast?: string;
  readonly label?: string;
}

export interface IpLinkWithAddresses extends IpLink {
  readonly addresses: readonly IpAddress[];
}

export interface IpRoute {
  readonly dst: string;
  readonly dev: string;
  readonly type?: string;
  /** Absent for a destination on a directly connected network. */
  readonly gateway?: string;
  readonly prefsrc?: string;
  /** Path MTU from the route cache (`metrics: [{ mtu }]`), e.g. learnt from ICMP frag-needed. Absent when none. */
  readonly mtu?: number;
  /** Seconds until a cached route (and its learnt MTU) expires. */
  readonly expiresSeconds?: number;
  readonly cache?: readonly string[];
}

export interface IpDirectionStats {
  readonly bytes: number;
  readonly packets: number;
  readonly errors: number;
  readonly dropped: number;
  /** rx `over_errors`: the NIC ran out of receive buffers. Absent for tx. */
  readonly overruns?: number;
  readonly multicast?: number;
  readonly carrierErrors?: number;
  readonly collisions?: number;
}

export interface IpLinkStats {
  readonly ifname: string;
  readonly mtu: number;
  readonly rx: IpDirectionStats;
  readonly tx: IpDirectionStats;
}

const nonNegInt = z.number().int().nonnegative();

const linkSchema = z.object({
  ifindex: nonNegInt,
  ifname: z.string().min(1),
  flags: z.array(z.string()),
  mtu: nonNegInt,
  qdisc: z.string().optional(),
  master: z.string().optional(),
  operstate: z.string().optional(),
  txqlen: nonNegInt.optional(),
  link_type: z.string().optional(),
  address: z.string().optional(),
  link_index: nonNegInt.optional(),
  link_netnsid: z.number().int().optional(),
  min_mtu: nonNegInt.optional(),
  max_mtu: nonNegInt.optional(),
  linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
});

const addrSchema = linkSchema.extend({
  addr_info: z.array(
    z.object({
      family: z.string(),
      local: z.string(),
      prefixlen: nonNegInt,
      scope: z.string().optional(),
      broadcast: z.string().optional(),
      label: z.string().optional(),
    }),
  ),
});

const routeSchema = z.object({
  type: z.string().optional(),
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string(),
  prefsrc: z.string().optional(),
  expires: z.number().int().optional(),
  cache: z.array(z.string()).optional(),
  metrics: z.array(z.record(z.string(), z.unknown())).optional(),
});

const directionSchema = z.object({
  bytes: nonNegInt,
  packets: nonNegInt,
  errors: nonNegInt,
  dropped: nonNegInt,
  over_errors: nonNegInt.optional(),
  multicast: nonNegInt.optional(),
  carrier_errors: nonNegInt.optional(),
  collisions: nonNegInt.optional(),
});
const statsSchema = z.object({
  ifname: z.string().min(1),
  mtu: nonNegInt,
  stats64: z.object({ rx: directionSchema, tx: directionSchema }).optional(),
  stats: z.object({ rx: directionSchema, tx: directionSchema }).optional(),
});

/** iproute2 error texts (stderr) that mean something to Ferry. */
function ipError(text: string): FerryError | undefined {
  const lines = contentLines(text);
  const dev = lines.find((l) => /^Device ".*" does not exist\.$|^Cannot find device /.test(l.trim()));
  if (dev) return ferryError('net.no-such-device', 'No such network interface on this host.', dev.trim());
  const route = lines.find((l) => /^RTNETLINK answers: (Network|No route to host|Host) is unreachable|^RTNETLINK answers: No route to host/.test(l.trim()));
  if (route) return ferryError('net.no-route', 'This host has no route to that address.', route.trim());
  const other = lines.find((l) => /^(RTNETLINK answers:|Error:|Command ".*" is unknown)/.test(l.trim()));
  if (other) return ferryError('command.failed', `ip failed: ${other.trim()}`, other.trim());
  return undefined;
}

function parseJsonArray<S extends z.ZodType>(text: string, schema: S, what: string): Result<z.infer<S>[], FerryError> {
  const e = ipError(text);
  if (e) return err(e);
  const t = text.trim();
  if (t === '') return emptyOutput(what);
  let json: unknown;
  try {
    json = JSON.parse(t);
  } catch {
    return fail('parse.unrecognised', `${what} did not print JSON.`, firstLine(t));
  }
  const parsed = z.array(schema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    return fail('parse.bad-value', `${what} printed JSON of an unexpected shape (${where}: ${issue?.message ?? ''}).`, t.slice(0, 500));
  }
  return ok(parsed.data);
}

function toLink(l: z.infer<typeof linkSchema>): IpLink {
  return compact<IpLink>({
    ifindex: l.ifindex,
    ifname: l.ifname,
    flags: l.flags,
    up: l.flags.includes('UP'),
    lowerUp: l.flags.includes('LOWER_UP'),
    mtu: l.mtu,
    operstate: l.operstate,
    qdisc: l.qdisc,
    txqlen: l.txqlen,
    linkType: l.link_type,
    address: l.address,
    master: l.master,
    linkIndex: l.link_index,
    linkNetnsid: l.link_netnsid,
    minMtu: l.min_mtu,
    maxMtu: l.max_mtu,
    kind: l.linkinfo?.info_kind,
  });
}

/** `ip -j [-d] link [show [dev IFACE]]`. */
export function parseIpLink(text: string): Result<IpLink[], FerryError> {
  const r = parseJsonArray(text, linkSchema, 'ip -j link');
  return r.ok ? ok(r.value.map(toLink)) : r;
}

/** `ip -j addr [show [dev IFACE]]`. */
export function parseIpAddr(text: string): Result<IpLinkWithAddresses[], FerryError> {
  const r = parseJsonArray(text, addrSchema, 'ip -j addr');
  if (!r.ok) return r;
  return ok(
    r.value.map((l) => ({
      ...toLink(l),
      addresses: l.addr_info.map((a) =>
        compact<IpAddress>({
          family: a.family,
          local: a.local,
          prefixlen: a.prefixlen,
          scope: a.scope,
          broadcast: a.broadcast,
          label: a.label,
        }),
      ),
    })),
  );
}

/** `ip -j route get [to] ADDR`: exactly one route. */
export function parseIpRouteGet(text: string): Result<IpRoute, FerryError> {
  const r = parseJsonArray(text, routeSchema, 'ip -j route get');
  if (!r.ok) return r;
  const [route, ...more] = r.value;
  if (!route || more.length > 0) {
    return fail('parse.unrecognised', `ip route get printed ${r.value.length} routes, expected one.`, text.trim().slice(0, 500));
  }
  let mtu: number | undefined;
  for (const m of route.metrics ?? []) {
    const v = m.mtu;
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      return fail('parse.bad-value', 'ip route get printed a metrics mtu that is not a positive integer.', JSON.stringify(m));
    }
    mtu = v;
  }
  return ok(
    compact<IpRoute>({
      dst: route.dst,
      dev: route.dev,
      type: route.type,
      gateway: route.gateway,
      prefsrc: route.prefsrc,
      mtu,
      expiresSeconds: route.expires,
      cache: route.cache,
    }),
  );
}

function toDirection(d: z.infer<typeof directionSchema>): IpDirectionStats {
  return compact<IpDirectionStats>({
    bytes: d.bytes,
    packets: d.packets,
    errors: d.errors,
    dropped: d.dropped,
    overruns: d.over_errors,
    multicast: d.multicast,
    carrierErrors: d.carrier_errors,
    collisions: d.collisions,
  });
}

/** `ip -s -j link [show [dev IFACE]]`: cumulative counters (rates are computed elsewhere from two samples). */
export function parseIpLinkStats(text: string): Result<IpLinkStats[], FerryError> {
  const r = parseJsonArray(text, statsSchema, 'ip -s -j link');
  if (!r.ok) return r;
  const out: IpLinkStats[] = [];
  for (const l of r.value) {
    const s = l.stats64 ?? l.stats;
    if (!s) return fail('parse.missing-field', `ip -s -j link printed no counters for ${l.ifname}.`, l.ifname);
    out.push({ ifname: l.ifname, mtu: l.mtu, rx: toDirection(s.rx), tx: toDirection(s.tx) });
  }
  return ok(out);
}
