/**
 * The host readiness audit (ferry.audit.host): runs the read-only commands of shared/commands on the host (and, for
 * the peer's addresses, on the peer), independent ones in parallel, and hands their results to the pure analysis in
 * shared/audit/. A command that fails becomes a finding carrying its error; only an unknown host id (a request that
 * names nothing) is a failed request. A host Ferry cannot reach at all gives one finding saying so.
 */
import { ok, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import type { Command } from '../../../shared/commands/command';
import { checkIpAddress, isIpv4, isIpv6 } from '../../../shared/commands/command';
import { ethtoolDriver, ethtoolFeatures, ethtoolRing, ethtoolSettings, ipAddr, ipLink, ipLinkStats, ipRouteGet, sysctl } from '../../../shared/commands/network';
import { virshNodeinfo } from '../../../shared/commands/virsh';
import { backingProbe, bondingProbe, clockProbe, diskstatsProbe, domblklist, emulatorpin, kernelLog, pingRtt, vcpupin } from '../../../shared/commands/audit';
import type { IpRoute } from '../../../shared/parsers/ip';
import type { SysctlValues } from '../../../shared/parsers/sysctl';
import type { EthtoolSettings } from '../../../shared/parsers/ethtool';
import type { HostView } from '../../../shared/inventory/types';
import { errorFinding, finding, type Finding, type HostAudit, type SkippedCheck } from '../../../shared/audit/types';
import { auditedNics, counterFinding, driverFinding, linkFinding, offloadFinding, ringFinding } from '../../../shared/audit/nic';
import { kernelLogFindings } from '../../../shared/audit/kernel-log';
import { BUFFER_KEYS, bandwidthDelayProduct, tcpBufferFindings } from '../../../shared/audit/tcp-buffers';
import { clockFinding } from '../../../shared/audit/clock';
import { bondingFindings } from '../../../shared/audit/bonding';
import { candidateAddresses, migrationNetworkVerdict, nicHolding, type MigrationNetworkVerdict } from '../../../shared/audit/migration-network';
import { cpuPinningFinding } from '../../../shared/audit/cpu-pinning';
import { storageFindings } from '../../../shared/audit/storage';
import { runCommand, type CommandRunner } from '../remote/run-command';
import type { NetworkDeps } from './deps';

export interface HostAuditRequest {
  readonly hostId: string;
  readonly peerHostId?: string | undefined;
  readonly vm?: string | undefined;
}

export type AuditDeps = Pick<NetworkDeps, 'access' | 'clock' | 'wallClock'>;

/** At most this many of the peer's addresses get a route lookup. */
const MAX_PEER_ADDRESSES = 8;

/** Runs a command (or reports why it could not be built) on a runner. */
export function runOn<T>(runner: CommandRunner, cmd: Command<T> | Result<Command<T>, FerryError>): Promise<Result<T, FerryError>> {
  const c = 'argv' in cmd ? ok(cmd) : cmd;
  if (!c.ok) return Promise.resolve(c);
  return runCommand(runner, c.value).catch((e: unknown) => ({ ok: false as const, error: { code: 'command.failed' as const, message: `The command failed in Ferry: ${String(e)}.` } }));
}

/** The management address of a host as Ferry knows it: its inventory address when that is an IP, else its management NIC's. */
export function managementAddress(h: HostView): string | undefined {
  const a = h.record.address.replace(/^\[|\]$/g, '');
  if (isIpv4(a) || isIpv6(a)) return a;
  const nic = h.facts?.nics.find((n) => n.role === 'management');
  const first = nic?.addresses[0]?.split('/')[0];
  return first !== undefined && checkIpAddress(first).ok ? first : undefined;
}

function sshUnreachable(e: FerryError): boolean {
  return e.code.startsWith('ssh.');
}

export async function runHostAudit(d: AuditDeps, req: HostAuditRequest): Promise<Result<HostAudit, FerryError>> {
  const src = d.access(req.hostId);
  if (!src.ok) return src;
  const peer = req.peerHostId === undefined ? undefined : d.access(req.peerHostId);
  if (peer !== undefined && !peer.ok) return peer;
  const t0 = d.clock.now();
  const startedAt = d.wallClock();
  const host = src.value.host;
  const run = <T>(cmd: Command<T> | Result<Command<T>, FerryError>) => runOn(src.value.runner, cmd);
  const findings: Finding[] = [];
  const skipped: SkippedCheck[] = [];
  const figures: HostAudit['figures'] = {};
  const base = {
    host: { id: host.record.id, name: host.record.name },
    ...(peer ? { peer: { id: peer.value.host.record.id, name: peer.value.host.record.name } } : {}),
    ...(req.vm === undefined ? {} : { vm: req.vm }),
    startedAt,
  };

  // Everything that does not depend on another answer starts now; the diskstats pair takes ~1 s on its own.
  const linksP = run(ipLink());
  const addrsP = run(ipAddr());
  const statsP = run(ipLinkStats());
  const sysctlP = run(sysctl([...BUFFER_KEYS]));
  const clockP = run(clockProbe());
  const bondsP = run(bondingProbe());
  const klogP = run(kernelLog());
  const peerAddrsP = peer ? runOn(peer.value.runner, ipAddr()) : undefined;
  const vm = req.vm;
  const vcpusP = vm === undefined ? undefined : run(vcpupin(vm));
  const emuP = vm === undefined ? undefined : run(emulatorpin(vm));
  const nodeP = vm === undefined ? undefined : run(virshNodeinfo());
  const disksP = vm === undefined ? undefined : run(domblklist(vm));
  const diskstatsP = vm === undefined ? undefined : run(diskstatsProbe(1));

  const links = await linksP;
  if (!links.ok && sshUnreachable(links.error)) {
    // Nothing else will get through either: one finding, not forty.
    await Promise.allSettled([addrsP, statsP, sysctlP, clockP, bondsP, klogP, peerAddrsP, vcpusP, emuP, nodeP, disksP, diskstatsP]);
    return ok({ ...base, durationMs: d.clock.now() - t0, nics: [], figures, findings: [errorFinding('host', host.record.name, `Reaching ${host.record.name}`, links.error)], skipped });
  }
  if (!links.ok) findings.push(errorFinding('host', 'links', 'Network interfaces', links.error));
  const nics = links.ok ? auditedNics(links.value).map((l) => l.ifname) : [];

  // Per NIC: ethtool's four answers, in parallel with the route lookups towards the peer and the disk mapping.
  const perNic = Promise.all(
    nics.map(async (nic) => {
      const [settings, ring, features, driver] = await Promise.all([run(ethtoolSettings(nic)), run(ethtoolRing(nic)), run(ethtoolFeatures(nic)), run(ethtoolDriver(nic))]);
      return { nic, settings, ring, features, driver };
    }),
  );
  const addrs = await addrsP;
  const peerAddrs = peerAddrsP ? await peerAddrsP : undefined;
  const peerCandidates = peerAddrs?.ok ? candidateAddresses(peerAddrs.value).slice(0, MAX_PEER_ADDRESSES) : [];
  const peerMgmt = peer ? managementAddress(peer.value.host) : undefined;
  const routeTargets = [...new Set([...(peerMgmt === undefined ? [] : [peerMgmt]), ...peerCandidates.map((a) => a.address)])];
  const routesP = Promise.all(routeTargets.map(async (address) => ({ address, route: await run(ipRouteGet(address)) })));
  const disks = disksP ? await disksP : undefined;
  const paths = disks?.ok ? [...new Set(disks.value.filter((x) => (x.type === 'file' || x.type === 'block') && x.source !== undefined).map((x) => x.source ?? ''))] : [];
  const backingP = paths.length > 0 ? run(backingProbe(paths)) : undefined;

  const nicResults = await perNic;
  for (const r of nicResults) {
    const driverName = r.driver.ok ? r.driver.value.driver : undefined;
    findings.push(linkFinding(r.nic, r.settings), ringFinding(r.nic, driverName, r.ring), offloadFinding(r.nic, r.features), driverFinding(r.nic, r.driver));
  }
  const stats = await statsP;
  for (const nic of nics) findings.push(counterFinding(nic, stats));
  findings.push(...kernelLogFindings(await klogP, nicResults.map((r) => ({ name: r.nic, driver: r.driver.ok ? r.driver.value.driver : undefined }))));

  // Migration network and TCP buffers against the BDP to the peer.
  const sysctls = await sysctlP;
  if (peer === undefined) {
    skipped.push({ concern: 'migration-network', reason: 'Choose a peer host: the check asks how this host routes to the peer’s addresses.' });
    skipped.push({ concern: 'tcp-buffers', reason: `Choose a peer host: the bandwidth-delay product needs a round-trip time measured to it.${currentBuffers(sysctls)}` });
  } else {
    const peerName = peer.value.host.record.name;
    const routes = await routesP;
    let verdict: MigrationNetworkVerdict | undefined;
    if (peerAddrs !== undefined && !peerAddrs.ok) {
      findings.push(errorFinding('migration-network', peerName, `Migration network to ${peerName}`, peerAddrs.error));
    } else {
      verdict = migrationNetworkVerdict({
        peerName,
        managementNic: (addrs.ok ? nicHolding(addrs.value, managementAddress(host) ?? '') : undefined) ?? host.facts?.nics.find((n) => n.role === 'management')?.name,
        peerManagementAddress: peerMgmt,
        peerAddresses: peerCandidates,
        routes,
      });
      findings.push(verdict.finding);
    }
    findings.push(...(await tcpBuffers(run, sysctls, verdict, routes, peerMgmt, nicResults, figures)));
  }

  findings.push(...bondingFindings(await bondsP), clockFinding(await clockP));

  if (vm === undefined || !vcpusP || !emuP || !nodeP || !disks) {
    skipped.push({ concern: 'cpu-pinning', reason: 'Choose a VM: pinning is a property of a guest.' });
    skipped.push({ concern: 'storage-latency', reason: 'Choose a VM: the check measures the devices behind its disks.' });
  } else {
    findings.push(cpuPinningFinding(vm, await vcpusP, await emuP, await nodeP));
    const backing = backingP ? await backingP : undefined;
    const snapshots = diskstatsP ? await diskstatsP : undefined;
    findings.push(...storageFindings({ vm, disks, ...(backing ? { backing } : {}), ...(snapshots ? { snapshots } : {}) }));
  }
  if (diskstatsP) await diskstatsP;

  return ok({ ...base, durationMs: d.clock.now() - t0, nics, figures, findings, skipped });
}

function currentBuffers(s: Result<SysctlValues, FerryError>): string {
  if (!s.ok) return '';
  const shown = BUFFER_KEYS.filter((k) => s.value.values[k] !== undefined).map((k) => `${k} = ${s.value.values[k] ?? ''}`);
  return shown.length === 0 ? '' : ` Current values: ${shown.join('; ')}.`;
}

async function tcpBuffers(
  run: <T>(cmd: Command<T> | Result<Command<T>, FerryError>) => Promise<Result<T, FerryError>>,
  sysctls: Result<SysctlValues, FerryError>,
  verdict: MigrationNetworkVerdict | undefined,
  routes: readonly { address: string; route: Result<IpRoute, FerryError> }[],
  peerMgmt: string | undefined,
  nicResults: readonly { nic: string; settings: Result<EthtoolSettings, FerryError> }[],
  figures: HostAudit['figures'],
): Promise<Finding[]> {
  // The RTT and the link speed of the path a migration should take: the dedicated network when there is one.
  const target = verdict?.recommended?.address ?? peerMgmt;
  const nic = verdict?.recommended?.sourceNic ?? (target === undefined ? undefined : routes.find((r) => r.address === target && r.route.ok)?.route);
  const linkNic = typeof nic === 'string' ? nic : nic?.ok ? nic.value.dev : undefined;
  const title = 'TCP buffers';
  if (target === undefined || linkNic === undefined) {
    return [finding('tcp-buffers', 'bdp', 'fail', title, 'Not checked: Ferry found no address of the peer to measure the round-trip time to.')];
  }
  let settings = nicResults.find((r) => r.nic === linkNic)?.settings;
  settings ??= await run(ethtoolSettings(linkNic));
  const ping = await run(pingRtt(target, 5));
  if (!ping.ok) return [errorFinding('tcp-buffers', 'bdp', title, ping.error)];
  if (ping.value.rtt === undefined) {
    return [finding('tcp-buffers', 'bdp', 'fail', title, `Not checked: no reply to ${ping.value.stats?.transmitted ?? 'the'} pings to ${target} (outcome: ${ping.value.outcome}), so there is no round-trip time.`)];
  }
  figures.rttMs = ping.value.rtt.avgMs;
  figures.rttTarget = target;
  figures.linkNic = linkNic;
  if (!settings.ok) return [errorFinding('tcp-buffers', 'bdp', title, settings.error)];
  const speed = settings.value.speed;
  if (speed === undefined || !speed.known) {
    return [finding('tcp-buffers', 'bdp', 'unsupported', title, `${linkNic} reports no link speed, so the bandwidth-delay product cannot be computed (RTT to ${target}: ${ping.value.rtt.avgMs.toFixed(3)} ms).`)];
  }
  figures.linkMbps = speed.megabitsPerSecond;
  figures.bdpBytes = bandwidthDelayProduct(speed.megabitsPerSecond, ping.value.rtt.avgMs);
  return tcpBufferFindings(sysctls, { linkMbps: speed.megabitsPerSecond, linkNic, rttMs: ping.value.rtt.avgMs, rttTarget: target });
}
