/// <reference types="vite/client" />
/**
 * The dev fake's path, audit and tuning channels. Nothing runs on a host: the answers are built by Ferry's own pure
 * analysis (shared/audit, shared/tuning) from the lab's captures in test/fixtures, as main builds them from the
 * same commands' output; the path report is scripted (a migration network whose path MTU drops at a router).
 * Tuning keeps its change sets in memory, so apply, history and undo can be tried.
 */
import { err, ok, type Result } from '../../../shared/result';
import type { FerryError } from '../../../shared/errors';
import type { HostView } from '../../../shared/inventory/types';
import { pathCheck } from '../../../shared/ipc/path-contract';
import { auditHost, auditTroubleshoot } from '../../../shared/ipc/audit-contract';
import { tuningApply, tuningHistory, tuningPlan, tuningUndo } from '../../../shared/ipc/tuning-contract';
import type { PathReport } from '../../../shared/network/path-report';
import type { Finding, HostAudit, SkippedCheck } from '../../../shared/audit/types';
import { sampleDigest } from '../../../shared/audit/troubleshoot';
import { clockFinding } from '../../../shared/audit/clock';
import { bondingFindings } from '../../../shared/audit/bonding';
import { cpuPinningFinding } from '../../../shared/audit/cpu-pinning';
import { kernelLogFindings, nicKernelMessages } from '../../../shared/audit/kernel-log';
import { counterFinding, driverFinding, linkFinding, offloadFinding, ringFinding } from '../../../shared/audit/nic';
import { bandwidthDelayProduct } from '../../../shared/audit/tcp-buffers';
import { parseEthtoolDriver, parseEthtoolFeatures, parseEthtoolRing, parseEthtoolSettings, parseIpLinkStats, parseSysctl, parseVirshNodeinfo } from '../../../shared/parsers';
import { parseDmesg } from '../../../shared/parsers/dmesg';
import { parseClockProbe } from '../../../shared/parsers/clock';
import { parseBondingProbe } from '../../../shared/parsers/bonding';
import { parseEmulatorpin, parseVcpupin } from '../../../shared/parsers/virsh-pinning';
import { planTuning, withBdp } from '../../../shared/tuning/plan';
import type { ChangeSetSummary, TuningContext, TuningPlan, TuningRunResult } from '../../../shared/tuning/types';
import { TUNABLE_SYSCTLS } from '../../../shared/commands/tuning';
import type { PathHandlers } from '../../../electron/main/network/path-handlers';
import type { AuditHandlers } from '../../../electron/main/network/audit-handlers';
import type { TuningHandlers } from '../../../electron/main/network/tuning-handlers';
import type { MigrationEnginePort } from '../../../electron/main/migration/handlers';
import ethtoolSettings from '../../../test/fixtures/ethtool/settings-veth.txt?raw';
import ethtoolRing from '../../../test/fixtures/ethtool/ring-virtio-rootns.txt?raw';
import ethtoolFeatures from '../../../test/fixtures/ethtool/features-veth.txt?raw';
import ethtoolDriver from '../../../test/fixtures/ethtool/driver-veth.txt?raw';
import linkStats from '../../../test/fixtures/ip/link-stats.txt?raw';
import sysctlMulti from '../../../test/fixtures/sysctl/multi.txt?raw';
import kernelLog from '../../../test/fixtures/dmesg/kernel-log-hvA.txt?raw';
import clockProbe from '../../../test/fixtures/clock/probe-hvA-none.txt?raw';
import bondingProbe from '../../../test/fixtures/bonding/probe-hvA-none.txt?raw';
import vcpupin from '../../../test/fixtures/virsh/vcpupin-vm1.txt?raw';
import emulatorpin from '../../../test/fixtures/virsh/emulatorpin-vm1.txt?raw';
import nodeinfo from '../../../test/fixtures/virsh/nodeinfo.txt?raw';
import qemuLog from '../../../test/fixtures/logs/qemu-log-vm1.txt?raw';

export type NetworkHandlers = PathHandlers & AuditHandlers & TuningHandlers;

export interface FakeNetworkDeps {
  readonly hosts: () => readonly HostView[];
  readonly engine: Pick<MigrationEnginePort, 'records'>;
  /** Wall clock, ms. */
  readonly now: () => number;
}

const LINK_MBPS = 10_000;
const RTT_MS = 0.4;

/** The NICs a fake host's audit and tuning look at: its own, else the lab's. */
function nicsOf(h: HostView): string[] {
  const names = (h.facts?.nics ?? []).map((n) => n.name).slice(0, 2);
  return names.length > 0 ? names : ['eth0', 'mig0'];
}

export function fakeNetworkHandlers(d: FakeNetworkDeps): NetworkHandlers {
  const find = (id: string): Result<HostView, FerryError> => {
    const h = d.hosts().find((x) => x.record.id === id);
    return h ? ok(h) : err({ code: 'inventory.not-found', message: `No such host in the inventory: ${id}.` });
  };
  const changeSets = new Map<string, ChangeSetSummary[]>();
  const plans = new Map<string, TuningPlan>();
  let nextId = 1;

  function audit(host: HostView, peer: HostView | undefined, vm: string | undefined): HostAudit {
    const nics = nicsOf(host);
    const findings: Finding[] = [];
    for (const nic of nics) {
      findings.push(
        linkFinding(nic, parseEthtoolSettings(ethtoolSettings)),
        ringFinding(nic, 'virtio_net', parseEthtoolRing(ethtoolRing)),
        offloadFinding(nic, parseEthtoolFeatures(ethtoolFeatures)),
        driverFinding(nic, parseEthtoolDriver(ethtoolDriver)),
        counterFinding(nic, parseIpLinkStats(linkStats)),
      );
    }
    findings.push(...kernelLogFindings(parseDmesg(kernelLog), nics.map((name) => ({ name, driver: 'veth' }))));
    findings.push(clockFinding(parseClockProbe(clockProbe)), ...bondingFindings(parseBondingProbe(bondingProbe)));
    const bdp = bandwidthDelayProduct(LINK_MBPS, RTT_MS);
    findings.push({
      id: 'tcp-buffers:host',
      concern: 'tcp-buffers',
      subject: host.record.name,
      status: 'warn',
      title: 'TCP buffers',
      message: `net.core.wmem_max is 4 MiB, under twice the bandwidth-delay product (${Math.round(bdp / 1024)} KiB at ${LINK_MBPS} Mb/s and ${RTT_MS} ms).`,
      fix: 'Raise net.core.wmem_max and the max of net.ipv4.tcp_wmem (the Tuning tab proposes the values).',
    });
    const skipped: SkippedCheck[] = [];
    if (peer) {
      findings.push({ id: `migration-network:${peer.record.name}`, concern: 'migration-network', subject: peer.record.name, status: 'pass', title: 'Migration network', message: `${host.record.name} reaches ${peer.record.name} over ${nics.at(-1) ?? 'eth0'}, a network of its own.` });
    } else skipped.push({ concern: 'migration-network', reason: 'No peer host chosen.' });
    if (vm) findings.push(cpuPinningFinding(vm, parseVcpupin(vcpupin), parseEmulatorpin(emulatorpin), parseVirshNodeinfo(nodeinfo)));
    else skipped.push({ concern: 'cpu-pinning', reason: 'No VM chosen.' }, { concern: 'storage-latency', reason: 'No VM chosen.' });
    return {
      host: { id: host.record.id, name: host.record.name },
      ...(peer ? { peer: { id: peer.record.id, name: peer.record.name } } : {}),
      ...(vm ? { vm } : {}),
      startedAt: d.now(),
      durationMs: 1840,
      nics,
      figures: { rttMs: RTT_MS, rttTarget: peer?.record.address ?? '10.77.0.12', linkMbps: LINK_MBPS, linkNic: nics[0] ?? 'eth0', bdpBytes: bdp },
      findings,
      skipped,
    };
  }

  function path(src: HostView, dst: HostView, address: string | undefined): PathReport {
    const iface = (h: HostView, name: string, mtu: number, addr: string) => ({ host: h.record.name, name, mtu, speedMbps: LINK_MBPS, operState: 'UP', adminUp: true, carrier: true, address: addr });
    const probes = (mtu: number, fails: number) => [
      { packetBytes: fails, round: 1, outcome: 'frag-needed' as const, from: '10.77.2.1', mtu },
      { packetBytes: mtu, round: 2, outcome: 'passed' as const, rttMs: 0.41 },
    ];
    const management = {
      kind: 'management' as const,
      target: dst.record.address,
      source: iface(src, 'eth0', 1500, src.record.address),
      destination: iface(dst, 'eth0', 1500, dst.record.address),
      pmtu: { largestPassing: 1500, exact: true, rttMs: 0.38, rounds: 1, probes: [{ packetBytes: 1500, round: 1, outcome: 'passed' as const, rttMs: 0.38 }] },
      hops: [{ hop: 1, address: dst.record.address, name: dst.record.name, rttMs: 0.38, reached: true }],
      problems: [],
      durationMs: 420,
    };
    const migration = {
      kind: address === undefined ? ('migration' as const) : ('given' as const),
      target: address ?? '10.77.2.12',
      source: iface(src, 'mig0', 9000, '10.77.2.11'),
      destination: iface(dst, 'mig0', 9000, address ?? '10.77.2.12'),
      pmtu: { largestPassing: 1500, smallestFailing: 9000, exact: true, failure: 'frag-needed' as const, rttMs: 0.41, rounds: 2, probes: probes(1500, 9000) },
      hops: [
        { hop: 1, address: '10.77.2.1', name: 'router', rttMs: 0.2, reached: true, linkMtu: 1500, dropsAbove: 1500 },
        { hop: 2, address: address ?? '10.77.2.12', name: dst.record.name, rttMs: 0.41, reached: true },
      ],
      clip: { how: 'frag-needed' as const, mtu: 1500, hop: 1, address: '10.77.2.1', name: 'router', nextAddress: address ?? '10.77.2.12', nextName: dst.record.name, where: `between router (10.77.2.1) and ${dst.record.name}`, fixAt: 'the router’s interface towards 10.77.2.0/24' },
      problems: [],
      durationMs: 1380,
    };
    return {
      source: { id: src.record.id, name: src.record.name },
      destination: { id: dst.record.id, name: dst.record.name },
      startedAt: d.now(),
      durationMs: 1800,
      probeCount: 3,
      routes: address === undefined ? [management, migration] : [migration],
      ports: {
        target: dst.record.address,
        min: 49152,
        max: 49215,
        rangeFrom: 'default',
        migration: { open: [], refused: [49152, 49215], timeout: [], unreachable: [], error: [] },
        libvirt: [{ port: 16509, state: 'open' }],
        probeCount: 65,
      },
      flags: [
        {
          id: 'path-mtu-drop',
          severity: 'warning',
          route: migration.kind,
          title: 'The path MTU drops to 1500',
          facts: `Both migration NICs use MTU 9000, but packets over 1500 bytes get "frag-needed" from the router (10.77.2.1) on the way to ${dst.record.name}.`,
          fix: 'Raise the MTU on the router’s interface towards 10.77.2.0/24 to 9000, or set both migration NICs to 1500.',
        },
      ],
    };
  }

  function plan(host: HostView, peer: HostView | undefined, given: { readonly pathMtuBytes?: number | undefined; readonly rttMs?: number | undefined; readonly linkSpeedMbps?: number | undefined }): TuningPlan {
    const sysctls = parseSysctl(sysctlMulti);
    const ring = parseEthtoolRing(ethtoolRing);
    const features = parseEthtoolFeatures(ethtoolFeatures);
    if (!sysctls.ok || !ring.ok || !features.ok) throw new Error('fake: a tuning fixture no longer parses');
    const nics = nicsOf(host).map((ifname, i) => ({ ifname, reason: i === 0 ? 'management' : `route to ${peer?.record.name ?? 'the peer'}`, towardsPeer: i > 0 || peer === undefined, mtu: 1500, maxMtu: 65535, ring: ring.value, features: features.value, speedMbps: LINK_MBPS }));
    const figure = <T>(v: T | undefined, fallback: T, detail: string) => (v === undefined ? { value: fallback, source: 'measured' as const, detail } : { value: v, source: 'given' as const, detail: 'given' });
    const context: TuningContext = withBdp({
      ...(peer ? { peer: { hostId: peer.record.id, name: peer.record.name, address: peer.record.address } } : {}),
      pathMtu: figure(given.pathMtuBytes, 9000, 'DF pings of 9000 bytes pass'),
      rttMs: figure(given.rttMs, RTT_MS, 'ping -c 5'),
      linkSpeedMbps: figure(given.linkSpeedMbps, LINK_MBPS, 'ethtool'),
    });
    const writable = Object.fromEntries(TUNABLE_SYSCTLS.map((k) => [k, true]));
    return planTuning({ nics, sysctls: sysctls.value, writability: { uid: 0, writable } }, context, {
      id: `plan-${nextId++}`,
      hostId: host.record.id,
      hostName: host.record.name,
      createdAt: new Date(d.now()).toISOString(),
      sysctlFile: '/etc/sysctl.d/90-ferry-migration.conf',
    });
  }

  function run(hostId: string, changeSetId: string, action: 'apply' | 'undo', changes: readonly { id: string; title: string; current: string; proposed: string }[], persist: boolean): TuningRunResult {
    return {
      changeSetId,
      hostId,
      action,
      outcomes: changes.map((c) => ({ changeId: c.id, title: c.title, status: 'applied', readBack: action === 'apply' ? c.proposed : c.current, verified: true })),
      complete: true,
      ...(persist ? { persist: { path: '/etc/sysctl.d/90-ferry-migration.conf', status: action === 'apply' ? 'written' : 'removed' } } : {}),
      manualPersistence: [],
    };
  }

  return {
    [pathCheck.id]: async (input) => {
      const src = find(input.sourceHostId);
      if (!src.ok) return src;
      const dst = find(input.destinationHostId);
      if (!dst.ok) return dst;
      return ok(path(src.value, dst.value, input.address));
    },
    [auditHost.id]: async (input) => {
      const host = find(input.hostId);
      if (!host.ok) return host;
      const peer = input.peerHostId === undefined ? undefined : find(input.peerHostId);
      if (peer && !peer.ok) return peer;
      return ok(audit(host.value, peer?.value, input.vm));
    },
    [auditTroubleshoot.id]: async (input) => {
      const host = find(input.hostId);
      if (!host.ok) return host;
      const nics = nicsOf(host.value);
      const records = parseDmesg(kernelLog);
      const failed = d.engine
        .records()
        .filter((r) => r.start?.source.id === input.hostId && (r.state === 'failed' || r.state === 'aborted'))
        .at(-1);
      return ok({
        host: { id: host.value.record.id, name: host.value.record.name },
        ...(input.vm === undefined
          ? {}
          : { vm: input.vm, log: { ok: true as const, value: { vm: input.vm, path: `/var/log/libvirt/qemu/${input.vm}.log`, exists: true, lines: qemuLog.split('\n').filter((l) => l !== '').slice(-200), requested: 200 } } }),
        nicErrors: records.ok ? { ok: true as const, value: { nics, lines: nicKernelMessages(records.value, nics.map((name) => ({ name, driver: 'veth' }))) } } : records,
        failedMigration: {
          ok: true as const,
          value: failed?.start
            ? {
                id: failed.id,
                vm: failed.start.vm,
                destination: failed.start.destination.name,
                ...(failed.startedAt === undefined ? {} : { startedAt: failed.startedAt }),
                ...(failed.end ? { endedAt: failed.end.at } : {}),
                message: failed.end?.message ?? '',
                ...(failed.end?.error ? { error: failed.end.error } : {}),
                samples: failed.samples.slice(-20).map(sampleDigest),
                totalSamples: failed.samples.length,
              }
            : null,
        },
      });
    },
    [tuningPlan.id]: async (input) => {
      const host = find(input.hostId);
      if (!host.ok) return host;
      const peer = input.peerHostId === undefined ? undefined : find(input.peerHostId);
      if (peer && !peer.ok) return peer;
      const p = plan(host.value, peer?.value, input);
      plans.set(p.id, p);
      return ok(p);
    },
    [tuningApply.id]: async (input) => {
      const p = plans.get(input.planId);
      if (!p || p.hostId !== input.hostId) return err({ code: 'input.invalid', message: 'That plan is not known here any more: make a new one.' });
      const changes = p.changes.filter((c) => input.changeIds.includes(c.id));
      if (changes.length !== input.changeIds.length) return err({ code: 'input.invalid', message: 'A chosen change is not in the plan.' });
      const id = `cs-${nextId++}`;
      const result = run(input.hostId, id, 'apply', changes, input.persist);
      const summary: ChangeSetSummary = {
        id,
        hostId: p.hostId,
        hostName: p.hostName,
        planId: p.id,
        at: new Date(d.now()).toISOString(),
        status: 'applied',
        changes: changes.map((c) => ({ id: c.id, title: c.title, current: c.current, proposed: c.proposed })),
        persisted: input.persist,
        lastResult: result,
      };
      changeSets.set(input.hostId, [summary, ...(changeSets.get(input.hostId) ?? [])]);
      return ok(result);
    },
    [tuningUndo.id]: async (input) => {
      const sets = changeSets.get(input.hostId) ?? [];
      const cs = sets.find((s) => s.id === input.changeSetId);
      if (!cs) return err({ code: 'inventory.not-found', message: `No change set ${input.changeSetId} on this host.` });
      if (cs.status === 'undone') return err({ code: 'input.invalid', message: 'That change set was already undone.' });
      const result = run(input.hostId, cs.id, 'undo', cs.changes, cs.persisted);
      changeSets.set(
        input.hostId,
        sets.map((s) => (s.id === cs.id ? { ...s, status: 'undone', undoneAt: new Date(d.now()).toISOString(), lastResult: result } : s)),
      );
      return ok(result);
    },
    [tuningHistory.id]: async (input) => {
      const host = find(input.hostId);
      if (!host.ok) return host;
      return ok(changeSets.get(input.hostId) ?? []);
    },
  };
}
