/**
 * Runs the path check between two hosts: both ends' facts in parallel, the DF search (round by round, each round's
 * probes at once), tracepath from the size that passed, TTL-limited probes when big packets vanish silently, and the
 * migration ports; the analysis is shared/network/path-analysis.ts. Every probe is a typed command
 * (shared/commands/network.ts) through a CommandRunner, so this runs against SSH, the lab or a fake alike.
 */
import { ferryError, type FerryError } from '../../../shared/errors';
import { err, ok, type Result } from '../../../shared/result';
import { ethtoolSettings, ipAddr, ipLink, ipRouteGet, pmtuProbe, tracepathNamed } from '../../../shared/commands/network';
import { portProbe, qemuConf } from '../../../shared/commands/preflight';
import { isIpv4, isIpv6, type Command } from '../../../shared/commands/command';
import type { IpLinkWithAddresses } from '../../../shared/parsers/ip';
import type { TracepathResult } from '../../../shared/parsers/tracepath';
import { applyRound, done, nextSizes, probeFromPing, probeWaitMs, searchReport, startSearch, type SearchState } from '../../../shared/network/path-search';
import {
  LIBVIRT_PORTS,
  annotateHops,
  buildHops,
  interfaceView,
  locateClip,
  migrationTargets,
  portFlags,
  portsReport,
  ttlPlan,
  type SideFacts,
} from '../../../shared/network/path-analysis';
import { pairFlags, routeFlags, sortFlags } from '../../../shared/network/path-flags';
import type { PathFlag, PathHop, PathInterface, PathReport, PathRoute, PmtuProbe, PortsReport, RouteKind } from '../../../shared/network/path-report';
import { runCommand, type CommandRunner } from '../remote/run-command';

export interface PathCheckHost {
  readonly id: string;
  readonly name: string;
  readonly runner: CommandRunner;
}

export interface PathCheckInput {
  readonly source: PathCheckHost;
  readonly destination: PathCheckHost;
  /** The destination's management address (an IP). */
  readonly managementAddress: string;
  /** Probe this address only (kind "given") instead of the management (and migration) addresses. */
  readonly address?: string;
  /** Also probe the destination's migration-network addresses the source reaches directly. Default true. */
  readonly migrationNetwork?: boolean;
  /** Probe the migration ports (and 16509/16514). Default true. */
  readonly ports?: boolean;
  /** Inventory names by address, to name hops the host's resolver does not. */
  readonly names?: ReadonlyMap<string, string>;
}

export interface PathCheckDeps {
  /** Monotonic ms (performance.now). */
  readonly now: () => number;
  /** Wall clock, ms since the epoch. */
  readonly wallClock: () => number;
  readonly signal?: AbortSignal;
}

type Run = <T>(cmd: Result<Command<T>, FerryError> | Command<T>) => Promise<Result<T, FerryError>>;

function runnerFor(host: PathCheckHost, signal: AbortSignal | undefined): Run {
  return async <T>(cmd: Result<Command<T>, FerryError> | Command<T>) => {
    const c = 'ok' in cmd ? cmd : ok(cmd);
    if (!c.ok) return c;
    return runCommand(host.runner, c.value, signal ? { signal } : {});
  };
}

const isIp = (s: string) => isIpv4(s) || isIpv6(s);

function withHost(e: FerryError, host: string, what: string): FerryError {
  return ferryError(e.code, `${what} on ${host}: ${e.message}`, e.detail);
}

interface Ctx {
  readonly input: PathCheckInput;
  readonly deps: PathCheckDeps;
  readonly src: Run;
  readonly dst: Run;
  readonly srcAddrs: readonly IpLinkWithAddresses[];
  readonly dstAddrs: readonly IpLinkWithAddresses[];
}

/** One end's interface toward `to`: route, then link + ethtool of that interface. */
async function side(run: Run, host: string, to: string, addrs: readonly IpLinkWithAddresses[]): Promise<Result<PathInterface, FerryError>> {
  const route = await run(ipRouteGet(to));
  if (!route.ok) return err(withHost(route.error, host, `Route to ${to}`));
  const [link, speed] = await Promise.all([run(ipLink(route.value.dev)), run(ethtoolSettings(route.value.dev))]);
  if (!link.ok) return err(withHost(link.error, host, `Interface ${route.value.dev}`));
  const l = link.value.find((x) => x.ifname === route.value.dev);
  const a = addrs.find((x) => x.ifname === route.value.dev);
  const facts: SideFacts = {
    host,
    route: route.value,
    ...(l ? { link: l } : {}),
    ...(a ? { addr: a } : {}),
    // A NIC whose driver reports no speed is null; an ethtool that failed leaves it unknown.
    ...(speed.ok ? { speedMbps: speed.value.speed?.known ? speed.value.speed.megabitsPerSecond : null } : {}),
  };
  return ok(interfaceView(facts));
}

async function search(run: Run, target: string, maxPacket: number): Promise<SearchState> {
  let s = startSearch(maxPacket);
  let wait = 1000;
  for (;;) {
    const sizes = nextSizes(s);
    if (sizes.length === 0) break;
    const round = s.round;
    const results = await Promise.all(
      sizes.map(async (size): Promise<PmtuProbe> => {
        const r = await run(pmtuProbe(target, { packetBytes: size, waitMs: wait }));
        return r.ok ? probeFromPing(size, round, r.value) : { packetBytes: size, round, outcome: 'error', error: r.error.message };
      }),
    );
    s = applyRound(s, results);
    if (round === 0) wait = probeWaitMs(results[0]?.rttMs);
    if (done(s)) break;
  }
  return s;
}

async function hopsOf(run: Run, target: string, startBytes: number, names: ReadonlyMap<string, string>): Promise<Result<{ hops: PathHop[]; tp: TracepathResult }, FerryError>> {
  const tp = await run(tracepathNamed(target, { startBytes, maxHops: 10 }));
  if (!tp.ok) return tp;
  return ok({ hops: buildHops(tp.value, names), tp: tp.value });
}

async function checkRoute(c: Ctx, kind: RouteKind, target: string): Promise<{ route: PathRoute; probes: number }> {
  const t0 = c.deps.now();
  const { input } = c;
  const problems: FerryError[] = [];
  const src = await side(c.src, input.source.name, target, c.srcAddrs);
  const back = src.ok ? src.value.address?.split('/')[0] : undefined;
  const [dst, state] = await Promise.all([
    back !== undefined ? side(c.dst, input.destination.name, back, c.dstAddrs) : Promise.resolve(undefined),
    src.ok && src.value.mtu > 0 ? search(c.src, target, src.value.mtu) : Promise.resolve(undefined),
  ]);
  if (!src.ok) problems.push(src.error);
  if (dst && !dst.ok) problems.push(dst.error);
  const report = state ? searchReport(state) : undefined;
  let hops: PathHop[] = [];
  let ttlProbes: PmtuProbe[] = [];
  if (report?.largestPassing !== undefined) {
    const h = await hopsOf(c.src, target, report.largestPassing, input.names ?? new Map());
    if (h.ok) hops = h.value.hops;
    else problems.push(withHost(h.error, input.source.name, `tracepath to ${target}`));
    if (report.failure === 'lost' && report.smallestFailing !== undefined && hops.length > 0) {
      const size = report.smallestFailing;
      const wait = probeWaitMs(report.rttMs);
      ttlProbes = await Promise.all(
        ttlPlan(hops).map(async (ttl): Promise<PmtuProbe> => {
          const r = await c.src(pmtuProbe(target, { packetBytes: size, waitMs: wait, ttl }));
          return r.ok ? probeFromPing(size, report.rounds, r.value, ttl) : { packetBytes: size, round: report.rounds, ttl, outcome: 'error', error: r.error.message };
        }),
      );
    }
  }
  const pmtu = report ? { ...report, probes: [...report.probes, ...ttlProbes] } : undefined;
  const clip =
    src.ok && report
      ? locateClip({
          source: src.value,
          destination: dst?.ok ? dst.value : undefined,
          destinationName: input.destination.name,
          target,
          search: report,
          hops,
          ttlProbes,
        })
      : undefined;
  const route: PathRoute = {
    kind,
    target,
    ...(src.ok ? { source: src.value } : {}),
    ...(dst?.ok ? { destination: dst.value } : {}),
    ...(pmtu ? { pmtu } : {}),
    hops: annotateHops(hops, report, clip, src.ok ? src.value.mtu : 0, dst?.ok ? dst.value.mtu : undefined),
    ...(clip ? { clip } : {}),
    problems,
    durationMs: Math.max(0, c.deps.now() - t0),
  };
  return { route, probes: pmtu?.probes.length ?? 0 };
}

async function checkPorts(c: Ctx, target: string): Promise<PortsReport> {
  const conf = await c.dst(qemuConf());
  const min = conf.ok ? conf.value.migrationPortMin : undefined;
  const max = conf.ok ? conf.value.migrationPortMax : undefined;
  const range =
    min !== undefined && max !== undefined && max >= min && max - min < 126
      ? { min, max, from: 'qemu.conf' as const }
      : { min: 49152, max: 49215, from: 'default' as const };
  const ports = [...Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i), ...LIBVIRT_PORTS];
  const probes = await c.src(portProbe(target, ports));
  if (!probes.ok) {
    return { ...portsReport(target, range, []), problem: withHost(probes.error, c.input.source.name, `Port probe toward ${target}`) };
  }
  return portsReport(target, range, probes.value);
}

/** The whole check. Fails only when neither end can be asked anything; partial answers carry their problems. */
export async function runPathCheck(input: PathCheckInput, deps: PathCheckDeps): Promise<Result<PathReport, FerryError>> {
  const startedAt = deps.wallClock();
  const t0 = deps.now();
  const management = input.address ?? input.managementAddress;
  if (!isIp(management)) {
    return err(ferryError('input.invalid', `"${management}" is not an IP address: give the destination's address to probe.`));
  }
  const src = runnerFor(input.source, deps.signal);
  const dst = runnerFor(input.destination, deps.signal);
  const [srcAddrs, dstAddrs] = await Promise.all([src(ipAddr()), dst(ipAddr())]);
  if (!srcAddrs.ok) return err(withHost(srcAddrs.error, input.source.name, 'Addresses'));
  const c: Ctx = { input, deps, src, dst, srcAddrs: srcAddrs.value, dstAddrs: dstAddrs.ok ? dstAddrs.value : [] };
  const targets: { kind: RouteKind; target: string }[] = [{ kind: input.address !== undefined ? 'given' : 'management', target: management }];
  if (input.address === undefined && input.migrationNetwork !== false && dstAddrs.ok) {
    for (const t of migrationTargets(dstAddrs.value, srcAddrs.value, management)) targets.push({ kind: 'migration', target: t });
  }
  const portTarget = targets.find((t) => t.kind === 'migration')?.target ?? management;
  const [routes, ports] = await Promise.all([
    Promise.all(targets.map((t) => checkRoute(c, t.kind, t.target))),
    input.ports === false ? Promise.resolve(undefined) : checkPorts(c, portTarget),
  ]);
  const names = { source: input.source.name, destination: input.destination.name };
  const flags: PathFlag[] = [
    ...routes.flatMap((r) => routeFlags(r.route, names)),
    ...pairFlags(routes.map((r) => r.route)),
    ...(ports ? portFlags(ports, input.source.name, input.destination.name) : []),
  ];
  if (!dstAddrs.ok) {
    flags.push({
      id: 'check-incomplete',
      severity: 'warning',
      title: `${input.destination.name} did not answer`,
      facts: `Ferry could not read ${input.destination.name}'s addresses: ${dstAddrs.error.message}`,
      fix: `Check that Ferry reaches ${input.destination.name} over SSH, then run the check again.`,
    });
  }
  return ok({
    source: { id: input.source.id, name: input.source.name },
    destination: { id: input.destination.id, name: input.destination.name },
    startedAt,
    durationMs: Math.max(0, deps.now() - t0),
    probeCount: routes.reduce((n, r) => n + r.probes, 0),
    routes: routes.map((r) => r.route),
    ...(ports ? { ports } : {}),
    flags: sortFlags(flags),
  });
}
