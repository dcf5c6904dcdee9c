/**
 * The path check's answer (what `ferry.path.check` returns and the host's "Network path" tab shows): for each way
 * from the source to the destination (its management address, its migration-network address, or one given), the
 * interface each end uses, the largest Don't-Fragment packet that passes, the hops, where the path MTU drops, and
 * flags that say what to change where; plus the reachability of the migration ports. Declared with zod so the IPC
 * contract validates it on both sides; the types are inferred from the schemas.
 */
import { z } from 'zod';
import { ferryErrorSchema } from '../ipc/define';

const count = z.number().int().nonnegative();

/** One end's interface toward the other end. */
export const pathInterfaceSchema = z.object({
  host: z.string(),
  name: z.string(),
  mtu: count,
  /** Mb/s; null when the driver reports none (`Speed: Unknown!`); absent when it could not be read. */
  speedMbps: z.number().nullable().optional(),
  /** iproute2's operstate, lower case (up, down, unknown, lowerlayerdown...). */
  operState: z.string(),
  adminUp: z.boolean(),
  carrier: z.boolean(),
  /** The address the route uses on this interface (prefsrc), with its prefix when `ip addr` showed it. */
  address: z.string().optional(),
  /** The next hop, when the other end is not on a directly connected network. */
  gateway: z.string().optional(),
  /** A path MTU the kernel learnt for this destination (route cache), and seconds until it expires. */
  cachedPmtu: count.optional(),
  cachedPmtuExpiresSeconds: z.number().int().optional(),
});
export type PathInterface = z.infer<typeof pathInterfaceSchema>;

export const PROBE_OUTCOMES = ['passed', 'frag-needed', 'too-big', 'unreachable', 'lost', 'ttl-exceeded', 'error'] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

/** One DF ping the check ran. */
export const pmtuProbeSchema = z.object({
  /** The whole IP packet (ICMP payload + 28). */
  packetBytes: count,
  round: count,
  outcome: z.enum(PROBE_OUTCOMES),
  ttl: count.optional(),
  /** Who answered: the router of a frag-needed or a TTL exceeded. */
  from: z.string().optional(),
  /** The MTU a frag-needed announced, or the one the local kernel refused with. */
  mtu: count.optional(),
  rttMs: z.number().optional(),
  /** Why a probe could not run or be read. */
  error: z.string().optional(),
});
export type PmtuProbe = z.infer<typeof pmtuProbeSchema>;

/** How packets above the largest passing size fail. */
export const PMTU_FAILURES = ['frag-needed', 'too-big', 'lost', 'unreachable'] as const;
export type PmtuFailure = (typeof PMTU_FAILURES)[number];

export const pmtuSearchSchema = z.object({
  /** The largest packet that passed with DF set; absent when not even the smallest did. */
  largestPassing: count.optional(),
  /** The smallest packet seen failing; absent when the largest the interface can send passed. */
  smallestFailing: count.optional(),
  /** largestPassing + 1 === smallestFailing, or the interface's own MTU passed. */
  exact: z.boolean(),
  /** The outcome of the smallest failing size (absent when nothing failed). */
  failure: z.enum(PMTU_FAILURES).optional(),
  /** Round-trip time of the smallest probe, ms. */
  rttMs: z.number().optional(),
  rounds: count,
  probes: z.array(pmtuProbeSchema),
});
export type PmtuSearchReport = z.infer<typeof pmtuSearchSchema>;

export const pathHopSchema = z.object({
  hop: count,
  address: z.string().optional(),
  /** As the source host resolves it (tracepath -b), or the inventory's name for that address. */
  name: z.string().optional(),
  rttMs: z.number().optional(),
  reached: z.boolean(),
  /**
   * The MTU of the link into this hop, where something states it: a clean path (the NICs' MTU, and that size passed),
   * a router's "fragmentation needed" (the size it announced; before it, the size that reached it), or the
   * destination's own NIC when packets above it vanish. Absent when not known.
   */
  linkMtu: count.optional(),
  /**
   * Packets larger than this vanished on the link into this hop with no ICMP error, and nothing states the link's
   * MTU (both NICs allow more: a switch port or a middlebox drops them). Never a link MTU the hosts configured.
   */
  dropsAbove: count.optional(),
});
export type PathHop = z.infer<typeof pathHopSchema>;

/** Where the path MTU drops. */
export const pathClipSchema = z.object({
  /** frag-needed: a router said so; silent: packets vanished (black hole); cached: learnt before this check. */
  how: z.enum(['frag-needed', 'silent', 'cached']),
  /** The MTU of the path after the clip (the largest packet that crosses it). */
  mtu: count,
  /** The hop whose outgoing link is smaller (frag-needed), or the last hop the big packets still reached (silent). */
  hop: count.optional(),
  address: z.string().optional(),
  name: z.string().optional(),
  /** The next hop, behind the small link. */
  nextAddress: z.string().optional(),
  nextName: z.string().optional(),
  /** One sentence: between what and what. */
  where: z.string(),
  /** What to raise, as the object of "Raise the MTU on ...". */
  fixAt: z.string(),
});
export type PathClip = z.infer<typeof pathClipSchema>;

export const ROUTE_KINDS = ['management', 'migration', 'given'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export const pathRouteSchema = z.object({
  kind: z.enum(ROUTE_KINDS),
  /** The destination's address probed. */
  target: z.string(),
  source: pathInterfaceSchema.optional(),
  destination: pathInterfaceSchema.optional(),
  pmtu: pmtuSearchSchema.optional(),
  hops: z.array(pathHopSchema),
  clip: pathClipSchema.optional(),
  /** What could not be found out on this route (each with a reason). */
  problems: z.array(ferryErrorSchema),
  durationMs: z.number().nonnegative(),
});
export type PathRoute = z.infer<typeof pathRouteSchema>;

export const portStateSchema = z.enum(['open', 'refused', 'timeout', 'unreachable', 'error']);

export const portsReportSchema = z.object({
  /** The destination address probed from the source. */
  target: z.string(),
  min: count,
  max: count,
  /** Where the range comes from: the destination's qemu.conf, or libvirt's default. */
  rangeFrom: z.enum(['qemu.conf', 'default']),
  /** Ports by state, as ranges for display ("49152-49215"). */
  migration: z.object({
    open: z.array(count),
    refused: z.array(count),
    timeout: z.array(count),
    unreachable: z.array(count),
    error: z.array(count),
  }),
  libvirt: z.array(z.object({ port: count, state: portStateSchema, message: z.string().optional() })),
  probeCount: count,
  problem: ferryErrorSchema.optional(),
});
export type PortsReport = z.infer<typeof portsReportSchema>;

export const FLAG_IDS = [
  'unreachable',
  'link-down',
  'nic-mtu-mismatch',
  'path-mtu-drop',
  'black-hole',
  'pmtu-cached',
  'migration-nic-slower',
  'ports-filtered',
  'ports-unreachable',
  'libvirt-ports-closed',
  'check-incomplete',
] as const;
export type PathFlagId = (typeof FLAG_IDS)[number];

export const pathFlagSchema = z.object({
  id: z.enum(FLAG_IDS),
  severity: z.enum(['error', 'warning', 'info']),
  /** The route it is about (absent: the pair as a whole). */
  route: z.enum(ROUTE_KINDS).optional(),
  title: z.string(),
  /** A sentence of facts. */
  facts: z.string(),
  /** What to change, and where. */
  fix: z.string(),
});
export type PathFlag = z.infer<typeof pathFlagSchema>;

export const pathReportSchema = z.object({
  source: z.object({ id: z.string(), name: z.string() }),
  destination: z.object({ id: z.string(), name: z.string() }),
  /** Wall clock, ms since the epoch. */
  startedAt: z.number(),
  durationMs: z.number().nonnegative(),
  /** DF pings run in all (the search plus the hop location); bounded. */
  probeCount: count,
  routes: z.array(pathRouteSchema),
  ports: portsReportSchema.optional(),
  /** Worst first. */
  flags: z.array(pathFlagSchema),
});
export type PathReport = z.infer<typeof pathReportSchema>;
