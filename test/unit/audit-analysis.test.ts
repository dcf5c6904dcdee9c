/**
 * The pure analysis of the host audit (shared/audit/) over the lab's captures: hvA's veth NICs, its sysctls, the RTT
 * to hvB on the migration network, no time daemon, no bonds, vm1 unpinned and diskless (and with the scratch disk).
 * Hand-made inputs cover what the lab cannot show (pinned vCPUs, a busy disk, a kernel log full of link resets).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, unwrap } from '../../shared/result';
import { parseEthtoolDriver, parseEthtoolFeatures, parseEthtoolRing, parseEthtoolSettings, parseIpAddr, parseIpLink, parseIpLinkStats, parseIpRouteGet, parsePing, parseSysctl, parseVirshNodeinfo } from '../../shared/parsers';
import { parseClockProbe } from '../../shared/parsers/clock';
import { parseBondingProbe } from '../../shared/parsers/bonding';
import { parseDmesg } from '../../shared/parsers/dmesg';
import { parseEmulatorpin, parseVcpupin } from '../../shared/parsers/virsh-pinning';
import { parseDomblklist } from '../../shared/parsers/virsh-domblklist';
import { parseBackingProbe, parseDiskstatsSnapshots, type DiskstatsSnapshot } from '../../shared/parsers/storage';
import { auditedNics, counterFinding, driverFinding, linkFinding, offloadFinding, ringFinding } from '../../shared/audit/nic';
import { bandwidthDelayProduct, proposedBufferBytes, tcpBufferFindings } from '../../shared/audit/tcp-buffers';
import { clockFinding } from '../../shared/audit/clock';
import { bondingFindings } from '../../shared/audit/bonding';
import { kernelLogFindings, namesWord, nicKernelMessages } from '../../shared/audit/kernel-log';
import { candidateAddresses, migrationNetworkVerdict, nicHolding } from '../../shared/audit/migration-network';
import { cpuPinningFinding } from '../../shared/audit/cpu-pinning';
import { deviceLatency, storageFindings } from '../../shared/audit/storage';
import { sampleDigest } from '../../shared/audit/troubleshoot';
import { groupFindings, statusCounts } from '../../shared/audit/view';
import type { HostAudit } from '../../shared/audit/types';
import { ferryError } from '../../shared/errors';

const fx = (tool: string, name: string) => readFileSync(join(__dirname, '..', 'fixtures', tool, `${name}.txt`), 'utf8');

describe('per-NIC checks on hvA (veth)', () => {
  it('audits eth0 and mig0, not lo', () => {
    expect(auditedNics(unwrap(parseIpLink(fx('ip', 'link-detail-hvA')))).map((l) => l.ifname)).toEqual(['eth0', 'mig0']);
  });
  it('shows veth rings as "not supported by this driver", never as zero or an error', () => {
    const f = ringFinding('eth0', 'veth', parseEthtoolRing(fx('ethtool', 'ring-veth-unsupported')));
    expect(f.status).toBe('unsupported');
    expect(f.message).toBe('eth0: ring sizes are not supported by this driver (veth); there is nothing to tune.');
    expect(f.message).not.toMatch(/\b0\b/);
  });
  it('proposes the maximum ring sizes of a driver that has them (virtio capture)', () => {
    const f = ringFinding('ens3', 'virtio_net', parseEthtoolRing(fx('ethtool', 'ring-virtio-rootns')));
    expect(['pass', 'warn']).toContain(f.status);
    if (f.status === 'warn') expect(f.fix).toMatch(/^ethtool -G ens3 /);
  });
  it('reads GRO, GSO and TSO from ethtool -k: veth has GRO off, and it can be switched on', () => {
    const f = offloadFinding('eth0', parseEthtoolFeatures(fx('ethtool', 'features-veth')));
    expect(f.status).toBe('warn');
    expect(f.message).toBe('eth0: GRO off, GSO on, TSO on. Without them the CPU segments and reassembles every packet of the migration stream.');
    expect(f.fix).toBe("ethtool -K 'eth0' gro on (and persist it in the interface's configuration).");
  });
  it('asks for offloads that are off and can be switched on, with the exact command', () => {
    const features = { ok: true as const, value: { ifname: 'eth1', features: { 'generic-receive-offload': { active: false, fixed: false }, 'generic-segmentation-offload': { active: true, fixed: false }, 'tcp-segmentation-offload': { active: false, fixed: true } } } };
    const f = offloadFinding('eth1', features);
    expect(f.status).toBe('warn');
    expect(f.fix).toMatch(/^ethtool -K 'eth1' gro on \(/);
  });
  it('reports link settings, driver and counters', () => {
    expect(linkFinding('eth0', parseEthtoolSettings(fx('ethtool', 'settings-veth'))).message).toMatch(/^eth0: 10 Gbit\/s, full duplex/);
    expect(driverFinding('eth0', parseEthtoolDriver(fx('ethtool', 'driver-veth'))).message).toBe('eth0: driver veth, version 1.0, no bus (a virtual device).');
    const c = counterFinding('eth0', parseIpLinkStats(fx('ip', 'link-stats-eth0')));
    expect(c.message).toMatch(/^eth0: RX errors \d+, RX dropped \d+, RX overruns \d+, TX errors \d+, TX dropped \d+/);
  });
  it('flags receive overruns with the ring and interrupt advice', () => {
    const stats = ok([{ ifname: 'eth0', mtu: 9000, rx: { bytes: 1, packets: 10, errors: 0, dropped: 0, overruns: 7 }, tx: { bytes: 1, packets: 10, errors: 0, dropped: 0 } }]);
    const f = counterFinding('eth0', stats);
    expect(f.status).toBe('warn');
    expect(f.fix).toContain("ethtool -G 'eth0' rx <max>");
  });
  it('turns a failed ethtool into a finding with the error', () => {
    const f = linkFinding('eth9', parseEthtoolSettings(fx('ethtool', 'driver-error-no-device')));
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(/^Not checked: No such network interface/);
  });
});

describe('NIC errors in the kernel log', () => {
  it('names a NIC as a word only', () => {
    expect(namesWord('e1000e 0000:00:19.0 eth0: Detected Hardware Unit Hang', 'eth0')).toBe(true);
    expect(namesWord('veth0: renamed', 'eth0')).toBe(false);
    expect(namesWord('eth0.100: up', 'eth0')).toBe(false);
  });
  it('finds nothing about hvA\'s NICs in the lab\'s kernel log', () => {
    const [eth0] = kernelLogFindings(parseDmesg(fx('dmesg', 'kernel-log-hvA')), [{ name: 'eth0', driver: 'veth' }]);
    expect(eth0?.status).toBe('pass');
    expect(eth0?.message).toMatch(/^No kernel log message \(of \d+\) names eth0 or its driver veth\.$/);
  });
  it('warns about a hang and a link flap, quoting the latest', () => {
    const log = parseDmesg(
      [
        'kern  :info  : [  10.000000] e1000e: eth1 NIC Link is Up 1000 Mbps Full Duplex',
        'kern  :err   : [ 200.000000] e1000e 0000:00:19.0 eth1: Detected Hardware Unit Hang:',
        'kern  :info  : [ 201.000000] e1000e: eth1 NIC Link is Down',
        'kern  :info  : [ 202.000000] eth2: something else',
      ].join('\n'),
    );
    const [f] = kernelLogFindings(log, [{ name: 'eth1', driver: 'e1000e' }]);
    expect(f?.status).toBe('warn');
    expect(f?.message).toBe('2 kernel message(s) report trouble on eth1 or its driver e1000e; the latest: "e1000e: eth1 NIC Link is Down".');
    expect(nicKernelMessages(unwrap(log), [{ name: 'eth1' }]).map((l) => l.serious)).toEqual([false, true, true]);
  });
});

describe('TCP buffers against the bandwidth-delay product', () => {
  const rtt = unwrap(parsePing(fx('ping', 'rtt-hvA-to-hvB-migration-net'))).rtt?.avgMs ?? NaN;
  it('computes the BDP from the measured RTT and the link speed', () => {
    expect(rtt).toBe(0.07);
    expect(bandwidthDelayProduct(10_000, rtt)).toBe(87_500); // 1.25e9 B/s x 70 us
    expect(proposedBufferBytes(87_500)).toBe(1024 * 1024);
  });
  it('passes hvA\'s buffers at 10 Gbit/s x 0.07 ms', () => {
    const fs = tcpBufferFindings(parseSysctl(fx('sysctl', 'multi')), { linkMbps: 10_000, linkNic: 'mig0', rttMs: rtt, rttTarget: '10.77.2.12' });
    expect(fs.map((f) => `${f.subject}:${f.status}`)).toEqual(['net.ipv4.tcp_rmem:pass', 'net.ipv4.tcp_wmem:pass', 'net.core.rmem_max:pass', 'net.core.wmem_max:pass']);
    expect(fs[0]?.message).toContain('the bandwidth-delay product is 85.45 KiB (10 Gbit/s on mig0 x 0.070 ms RTT to 10.77.2.12)');
  });
  it('warns, with the exact sysctl and its sysctl.d line, when a WAN RTT makes the BDP larger', () => {
    const fs = tcpBufferFindings(parseSysctl(fx('sysctl', 'multi')), { linkMbps: 10_000, linkNic: 'eth0', rttMs: 40, rttTarget: '192.0.2.1' });
    const core = fs.find((f) => f.subject === 'net.core.rmem_max');
    expect(core?.status).toBe('warn');
    expect(core?.fix).toBe("sysctl -w 'net.core.rmem_max=50331648', and persist it as the line `net.core.rmem_max = 50331648` in /etc/sysctl.d/90-ferry-migration.conf.");
    const tcp = fs.find((f) => f.subject === 'net.ipv4.tcp_rmem');
    expect(tcp?.fix).toMatch(/^sysctl -w 'net\.ipv4\.tcp_rmem=\d+ \d+ 50331648'/);
  });
});

describe('clock, bonds', () => {
  it('says "no time sync service found" on the lab, with the fix', () => {
    const f = clockFinding(parseClockProbe(fx('clock', 'probe-hvA-none')));
    expect(f.status).toBe('warn');
    expect(f.message).toBe(
      'No time sync service found: timedatectl failed (System has not been booted with systemd as init system (PID 1). Can\'t operate.); chronyc is not installed; ntpq is not installed.',
    );
    expect(f.fix).toMatch(/apt-get install chrony/);
  });
  it('passes a host that chrony keeps synchronised', () => {
    const f = clockFinding(parseClockProbe(fx('clock', 'probe-chrony-synced-handwritten')));
    expect(f.status).toBe('pass');
    expect(f.message).toContain('chronyc: leap status Normal, reference C0A80101 (192.168.1.1), offset -0.012 ms');
  });
  it('reports "no bonds" on the lab hosts', () => {
    const fs = bondingFindings(parseBondingProbe(fx('bonding', 'probe-hvA-none')));
    expect(fs).toHaveLength(1);
    expect(fs[0]?.status).toBe('pass');
    expect(fs[0]?.message).toBe('No bonds: the bonding driver is not loaded on this host (no /proc/net/bonding).');
  });
  it('flags an 802.3ad bond with a member down, and a bond that is not 802.3ad', () => {
    const [lacp] = bondingFindings(parseBondingProbe(fx('bonding', 'probe-8023ad-handwritten')));
    expect(lacp?.status).toBe('warn');
    expect(lacp?.message).toMatch(/^bond0: mode 802\.3ad .* members: ens1f0 up 10000 Mb\/s aggregator 1, ens1f1 down aggregator 2\. ens1f1 down/);
    const [ab] = bondingFindings(parseBondingProbe(fx('bonding', 'probe-active-backup-handwritten')));
    expect(ab?.status).toBe('warn');
    expect(ab?.message).toContain('Not 802.3ad');
    expect(ab?.fix).toContain('802.3ad');
  });
});

describe('the dedicated migration network (hvA -> hvB)', () => {
  const hvA = unwrap(parseIpAddr(fx('ip', 'addr-hvA')));
  const hvB = unwrap(parseIpAddr(fx('ip', 'addr-hvB')));
  const routes = [
    { address: '10.77.0.12', route: parseIpRouteGet(fx('ip', 'route-get-direct')) },
    { address: '10.77.2.12', route: parseIpRouteGet(fx('ip', 'route-get-hvA-to-hvB-migration-net')) },
  ];
  it('finds that the default shares eth0 and names mig0\'s address for the migrateuri', () => {
    expect(candidateAddresses(hvB).map((a) => `${a.nic}:${a.address}`)).toEqual(['eth0:10.77.0.12', 'mig0:10.77.2.12']);
    expect(unwrap(routes[0]!.route).dev).toBe('eth0');
    const v = migrationNetworkVerdict({ peerName: 'hvB', managementNic: nicHolding(hvA, '10.77.0.11'), peerManagementAddress: '10.77.0.12', peerAddresses: candidateAddresses(hvB), routes });
    expect(v.finding.status).toBe('warn');
    expect(v.recommended).toEqual({ address: '10.77.2.12', sourceNic: 'mig0', peerNic: 'mig0' });
    expect(v.finding.message).toBe(
      "Without a migrateuri the stream goes to hvB's host name, normally 10.77.0.12, which this host reaches via eth0, the management link; hvB's 10.77.2.12 (mig0) is reached via mig0, directly, off the management link.",
    );
    expect(v.finding.fix).toBe("Migrate with --migrateuri 'tcp://10.77.2.12' (virsh migrate ... --migrateuri 'tcp://10.77.2.12') so QEMU's stream uses mig0.");
  });
  it('says so when every address of the peer is behind the management link', () => {
    const v = migrationNetworkVerdict({ peerName: 'hvB', managementNic: 'eth0', peerManagementAddress: '10.77.0.12', peerAddresses: candidateAddresses(hvB).slice(0, 1), routes: routes.slice(0, 1) });
    expect(v.finding.status).toBe('warn');
    expect(v.recommended).toBeUndefined();
    expect(v.finding.fix).toMatch(/^Give both hosts an address on a separate network/);
  });
  it('gives the route error as the finding when the peer cannot be reached', () => {
    const v = migrationNetworkVerdict({ peerName: 'hvC', managementNic: 'eth0', peerManagementAddress: '10.77.1.13', peerAddresses: [], routes: [{ address: '10.77.1.13', route: parseIpRouteGet(fx('ip', 'route-get-error-unreachable')) }] });
    expect(v.finding.status).toBe('fail');
    expect(v.finding.message).toMatch(/^Not checked: This host has no route/);
  });
});

describe('CPU pinning', () => {
  const node = parseVirshNodeinfo(fx('virsh', 'nodeinfo'));
  it('passes vm1, whose vCPU and emulator float over all host CPUs', () => {
    const f = cpuPinningFinding('vm1', parseVcpupin(fx('virsh', 'vcpupin-vm1')), parseEmulatorpin(fx('virsh', 'emulatorpin-vm1')), node);
    expect(f.status).toBe('pass');
    expect(f.message).toBe('Host CPUs 0-1 (2); vm1: vCPU 0 -> 0-1; emulator threads -> 0-1. The vCPUs are not pinned, so the scheduler keeps the migration thread off busy cores.');
  });
  const eight = ok({ ...unwrap(node), cpus: 8 });
  const pinned = ok([{ vcpu: 0, cpus: [2] }, { vcpu: 1, cpus: [3] }]);
  it('flags an emulator that may run on cores pinned to vCPUs, with the emulatorpin fix', () => {
    const f = cpuPinningFinding('db1', pinned, ok({ cpus: [0, 1, 2, 3, 4, 5, 6, 7] }), eight);
    expect(f.status).toBe('warn');
    expect(f.message).toContain('The emulator threads may run on 2-3, pinned to vCPUs');
    expect(f.fix).toBe("virsh emulatorpin --domain 'db1' --cpulist '0-1,4-7' --live --config (CPUs no vCPU of db1 is pinned to).");
  });
  it('passes an emulator kept apart from the pinned vCPUs', () => {
    expect(cpuPinningFinding('db1', pinned, ok({ cpus: [0, 1] }), eight).status).toBe('pass');
  });
  it('asks to leave a core free when every CPU is pinned to a vCPU', () => {
    const f = cpuPinningFinding('db1', ok([{ vcpu: 0, cpus: [0] }, { vcpu: 1, cpus: [1] }]), ok({ cpus: [0, 1] }), node);
    expect(f.fix).toMatch(/^Every host CPU is pinned to a vCPU/);
  });
  it('gives virsh\'s error for a domain that does not exist', () => {
    const f = cpuPinningFinding('no-such-vm', parseVcpupin(fx('virsh', 'vcpupin-error-no-domain')), ok({ cpus: [0] }), node);
    expect(f.status).toBe('fail');
    expect(f.message).toBe('Not checked: No such domain on this host.');
  });
});

describe('storage latency', () => {
  const snaps = parseDiskstatsSnapshots(fx('storage', 'diskstats-hvA'));
  it('says a diskless guest has nothing to measure', () => {
    const [f] = storageFindings({ vm: 'vm1', disks: parseDomblklist(fx('virsh', 'domblklist-vm1-diskless')) });
    expect(f?.status).toBe('pass');
    expect(f?.message).toBe('vm1 has no disk with a source (a diskless guest, e.g. kernel and initrd boot): no storage to measure.');
  });
  it('maps vm1\'s scratch disk to vda and reads its figures from two diskstats reads', () => {
    const [f] = storageFindings({ vm: 'vm1', disks: parseDomblklist(fx('virsh', 'domblklist-vm1-usb-disk')), backing: parseBackingProbe(fx('storage', 'backing-file-and-block')), snapshots: snaps });
    expect(f?.subject).toBe('vm1/sdb');
    expect(f?.message).toMatch(/^\/var\/tmp\/ferry-lab\/audit-disk\.img on \/dev\/vda \(ext4, mounted at \/\), device vda: await (- \(no I\/O completed in the interval\)|\d+\.\d\d ms over \d+ I\/Os), utilisation \d+\.\d % over 1\.00 s\.$/);
  });
  it('computes await and utilisation like iostat', () => {
    const disk = (reads: number, readMs: number, writes: number, writeMs: number, ioMs: number) => ({ major: 8, minor: 0, name: 'sda', readsCompleted: reads, readMs, writesCompleted: writes, writeMs, inFlight: 0, ioMs, sectorsRead: 0, sectorsWritten: 0 });
    const a: DiskstatsSnapshot = { uptimeSeconds: 100, disks: [disk(100, 1000, 100, 1000, 5000)] };
    const b: DiskstatsSnapshot = { uptimeSeconds: 102, disks: [disk(150, 2000, 250, 9000, 6800)] };
    expect(deviceLatency(a, b, 8, 0)).toEqual({ device: 'sda', intervalSeconds: 2, reads: 50, writes: 150, awaitMs: 45, utilPercent: 90 });
    const [f] = storageFindings({ vm: 'db1', disks: ok([{ type: 'block', device: 'disk', target: 'vda', source: '/dev/sda' }]), backing: ok([{ path: '/dev/sda', kind: 'block', major: 8, minor: 0 }]), snapshots: ok([a, b]) });
    expect(f?.status).toBe('warn');
    expect(f?.message).toBe('/dev/sda, device sda: await 45.00 ms over 200 I/Os, utilisation 90.0 % over 2.00 s. await above 20 ms and utilisation above 80 %.');
  });
  it('marks tmpfs and network disks unsupported and a missing source failed', () => {
    const fs = storageFindings({
      vm: 'x',
      disks: ok([
        { type: 'file', device: 'disk', target: 'vda', source: '/dev/shm/a.img' },
        { type: 'network', device: 'disk', target: 'vdb', source: 'pool/img' },
        { type: 'file', device: 'disk', target: 'vdc', source: '/nope.img' },
      ]),
      backing: ok([
        { path: '/dev/shm/a.img', kind: 'file', major: 0, minor: 23, source: 'tmpfs', fstype: 'tmpfs', mountpoint: '/dev/shm' },
        { path: '/nope.img', kind: 'missing' },
      ]),
      snapshots: snaps,
    });
    expect(fs.map((f) => f.status)).toEqual(['unsupported', 'unsupported', 'fail']);
  });
});

describe('troubleshooting and the panel view', () => {
  it('turns a journal sample into bytes, bytes/s and ms', () => {
    expect(sampleDigest({ at: 5, seq: 3, info: { format: 'human', type: 'unbounded', iteration: 4, dataRemainingBytes: 10, dirtyRatePagesPerSecond: 100, pageSizeBytes: 4096, memoryBandwidthBytesPerSecond: 7 } })).toEqual({
      at: 5,
      seq: 3,
      iteration: 4,
      dataRemainingBytes: 10,
      bandwidthBytesPerSecond: 7,
      dirtyRateBytesPerSecond: 409_600,
    });
    expect(sampleDigest({ at: 6, seq: 4, error: ferryError('libvirt.not-running', 'The domain is not running.') })).toEqual({ at: 6, seq: 4, error: 'The domain is not running.' });
  });
  it('groups findings in panel order with the worst status first-class, skipped checks kept', () => {
    const audit: HostAudit = {
      host: { id: 'a', name: 'hvA' },
      startedAt: 0,
      durationMs: 1,
      nics: ['eth0'],
      figures: {},
      findings: [
        { id: 'clock:host', concern: 'clock', subject: 'host', status: 'warn', title: 'Clock', message: 'm' },
        { id: 'nic-rings:eth0', concern: 'nic-rings', subject: 'eth0', status: 'unsupported', title: 'r', message: 'm' },
        { id: 'nic-link:eth0', concern: 'nic-link', subject: 'eth0', status: 'pass', title: 'l', message: 'm' },
      ],
      skipped: [{ concern: 'tcp-buffers', reason: 'Choose a peer host.' }],
    };
    expect(groupFindings(audit).map((g) => `${g.title}:${g.worst ?? '-'}:${g.findings.length}/${g.skipped.length}`)).toEqual(['Network interfaces:unsupported:2/0', 'TCP buffers:-:0/1', 'Clock:warn:1/0']);
    expect(statusCounts(audit.findings)).toEqual({ pass: 1, warn: 1, fail: 0, unsupported: 1 });
  });
});
