import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEthtoolFeatures, parseEthtoolRing, parseSysctlN } from '../../shared/parsers';
import type { EthtoolFeatures, EthtoolRing } from '../../shared/parsers/ethtool';
import type { SysctlValues } from '../../shared/parsers/sysctl';
import { TUNABLE_SYSCTLS, type SysctlWritability } from '../../shared/commands/tuning';
import { bdpBytes, bufferTarget, planTuning, withBdp, type HostState, type NicState, type PlanMeta } from '../../shared/tuning/plan';
import type { TuningContext, TuningPlan } from '../../shared/tuning/types';

const FIX = join(__dirname, '../fixtures');
const text = (p: string) => readFileSync(join(FIX, p), 'utf8');
function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

// Real captures from the lab (veth) and from the development machine's virtio NIC.
const vethFeatures: EthtoolFeatures = must(parseEthtoolFeatures(text('ethtool/features-veth.txt')));
const vethRing: EthtoolRing = must(parseEthtoolRing(text('ethtool/ring-veth-unsupported.txt')));
const virtioRing: EthtoolRing = must(parseEthtoolRing(text('ethtool/ring-virtio-rootns.txt')));
const labSysctls: SysctlValues = must(parseSysctlN(text('sysctl/n-buffers.txt'), ['net.core.rmem_max', 'net.core.wmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']));
/** As the lab's namespaces are on kernel 6.18 (test/fixtures/tuning/writable-probe.txt): core limits read-only. */
const nsWritability: SysctlWritability = { uid: 0, writable: { 'net.core.rmem_max': false, 'net.core.wmem_max': false, 'net.ipv4.tcp_rmem': true, 'net.ipv4.tcp_wmem': true } };
const allWritable: SysctlWritability = { uid: 0, writable: Object.fromEntries(TUNABLE_SYSCTLS.map((k) => [k, true])) };

const meta: PlanMeta = { id: 'plan-1', hostId: 'h-b', hostName: 'hvB', createdAt: '2026-11-25T12:00:00.000Z', sysctlFile: '/etc/sysctl.d/90-ferry-migration.conf' };
const peer = { hostId: 'h-a', name: 'hvA', address: '10.77.2.11' };

function nic(over: Partial<NicState> = {}): NicState {
  return { ifname: 'mig0', reason: 'route to hvA (10.77.2.11)', towardsPeer: true, mtu: 9000, maxMtu: 65535, kind: 'veth', ring: vethRing, features: vethFeatures, speedMbps: 10000, ...over };
}

function plan(state: Partial<HostState>, context: TuningContext = {}): TuningPlan {
  return planTuning({ nics: [nic()], sysctls: labSysctls, writability: nsWritability, ...state }, withBdp(context), meta);
}

const ids = (p: TuningPlan) => p.changes.map((c) => c.id);

describe('tuning plan: rings', () => {
  it('does not propose rings on veth, whose driver has none, and says so', () => {
    const p = plan({});
    expect(ids(p).filter((i) => i.startsWith('rings'))).toEqual([]);
    expect(p.notes.some((n) => /mig0: ring sizes are not supported by this driver \(veth\)/.test(n))).toBe(true);
  });

  it('proposes rx/tx to their maximum where they are below it, with the exact ethtool -G argv and its undo', () => {
    const ring: EthtoolRing = { supported: true, ifname: 'eth1', max: { rx: 4096, tx: 4096 }, current: { rx: 256, tx: 512 } };
    const p = plan({ nics: [nic({ ifname: 'eth1', ring, kind: 'ixgbe' as string, mtu: 1500, speedMbps: 10000 })] });
    const c = p.changes.find((x) => x.id === 'rings:eth1');
    expect(c?.applyArgv).toEqual(['ethtool', '-G', 'eth1', 'rx', '4096', 'tx', '4096']);
    expect(c?.undoArgv).toEqual(['ethtool', '-G', 'eth1', 'rx', '256', 'tx', '512']);
    expect(c?.current).toBe('rx 256 tx 512');
    expect(c?.proposed).toBe('rx 4096 tx 4096');
    // 256 descriptors x 1500 bytes at 10 Gbit/s = 0.307 ms; 4096 = 4.92 ms
    expect(c?.why).toContain('0.307 ms');
    expect(c?.why).toContain('4.92 ms');
    expect(c?.persistence.how).toBe('manual');
  });

  it('leaves rings alone that are already at their maximum (the virtio capture: 256 of 256)', () => {
    const p = plan({ nics: [nic({ ifname: 'eth0', ring: virtioRing })] });
    expect(ids(p).some((i) => i.startsWith('rings'))).toBe(false);
    expect(p.notes.some((n) => n.includes('eth0: rings already at their maximum (rx 256, tx 256)'))).toBe(true);
  });
});

describe('tuning plan: offloads', () => {
  it('proposes GRO on for the lab veth (off, not fixed) and nothing for GSO/TSO (already on)', () => {
    const p = plan({});
    const off = p.changes.filter((c) => c.kind === 'offload');
    expect(off.map((c) => c.id)).toEqual(['offload:mig0:gro']);
    expect(off[0]?.applyArgv).toEqual(['ethtool', '-K', 'mig0', 'gro', 'on']);
    expect(off[0]?.undoArgv).toEqual(['ethtool', '-K', 'mig0', 'gro', 'off']);
    // 65536 / 9000 = 7 frames merged per GRO packet
    expect(off[0]?.why).toMatch(/about 7 are merged/);
  });

  it('does not propose an offload the driver has fixed off, and says why', () => {
    const features: EthtoolFeatures = {
      ifname: 'mig0',
      features: { ...vethFeatures.features, 'generic-receive-offload': { active: false, fixed: true } },
    };
    const p = plan({ nics: [nic({ features })] });
    expect(ids(p)).not.toContain('offload:mig0:gro');
    expect(p.notes.some((n) => n.includes('GRO is off and fixed by the driver'))).toBe(true);
  });
});

describe('tuning plan: MTU', () => {
  const at1500 = () => nic({ mtu: 1500 });

  it('does not propose MTU 9000 when the path MTU is 1500', () => {
    const p = plan({ nics: [at1500()] }, { peer, pathMtu: { value: 1500, source: 'measured', detail: '1500-byte pings passed' } });
    expect(ids(p).some((i) => i.startsWith('mtu'))).toBe(false);
    expect(p.notes.some((n) => /carries only 1500 bytes/.test(n))).toBe(true);
  });

  it('does not propose MTU without a path MTU figure', () => {
    const p = plan({ nics: [at1500()] }, { peer });
    expect(ids(p).some((i) => i.startsWith('mtu'))).toBe(false);
    expect(p.notes.some((n) => /no path MTU figure/.test(n))).toBe(true);
  });

  it('does not take a probe that could not look past the NIC itself as proof that the path carries 9000', () => {
    const p = plan({ nics: [at1500()] }, { peer, pathMtu: { value: 1500, source: 'measured', detail: 'x', limitedByNic: 'mig0' } });
    expect(ids(p).some((i) => i.startsWith('mtu'))).toBe(false);
    expect(p.notes.some((n) => /cannot look past mig0's own MTU of 1500/.test(n))).toBe(true);
  });

  it('does not propose MTU without a peer, whatever the figure', () => {
    const p = plan({ nics: [nic({ mtu: 1500, towardsPeer: false })] }, { pathMtu: { value: 9000, source: 'given', detail: 'given' } });
    expect(ids(p).some((i) => i.startsWith('mtu'))).toBe(false);
  });

  it('proposes 9000 when every hop to the peer carries it, with ip link set argv and the undo back to 1500', () => {
    const p = plan({ nics: [at1500()] }, { peer, pathMtu: { value: 9000, source: 'given', detail: 'given for this plan' } });
    const c = p.changes.find((x) => x.id === 'mtu:mig0');
    expect(c?.applyArgv).toEqual(['ip', 'link', 'set', 'dev', 'mig0', 'mtu', '9000']);
    expect(c?.undoArgv).toEqual(['ip', 'link', 'set', 'dev', 'mig0', 'mtu', '1500']);
    // 8948 / 1448 = 6.2x fewer packets
    expect(c?.why).toContain('8948 bytes of TCP data instead of 1448, 6.2x fewer packets');
    expect(c?.persistence).toMatchObject({ how: 'manual' });
  });

  it('does not propose 9000 on a NIC whose driver allows less', () => {
    const p = plan({ nics: [nic({ mtu: 1500, maxMtu: 1500 })] }, { peer, pathMtu: { value: 9000, source: 'given', detail: 'g' } });
    expect(ids(p).some((i) => i.startsWith('mtu'))).toBe(false);
    expect(p.notes.some((n) => /allows at most 1500/.test(n))).toBe(true);
  });
});

describe('tuning plan: TCP buffers against the bandwidth-delay product', () => {
  it('computes the BDP and a 2 x BDP target rounded up to a MiB', () => {
    expect(bdpBytes(10000, 50)).toBe(62_500_000);
    expect(bufferTarget(62_500_000)).toBe(120 * 1024 * 1024); // 125,000,000 B -> 119.2 MiB -> 120 MiB
    expect(bufferTarget(10)).toBe(1024 * 1024);
    expect(bufferTarget(1e12)).toBe(1024 * 1024 * 1024);
  });

  it('proposes tcp_rmem/tcp_wmem max below 2 x BDP (10 Gbit/s x 50 ms), keeping min and default', () => {
    const p = plan({}, { linkSpeedMbps: { value: 10000, source: 'measured', detail: 'ethtool mig0' }, rttMs: { value: 50, source: 'given', detail: 'g' } });
    const r = p.changes.find((c) => c.id === 'sysctl:net.ipv4.tcp_rmem');
    expect(r?.current).toBe('4096 131072 33554432');
    expect(r?.proposed).toBe(`4096 131072 ${120 * 1024 * 1024}`);
    expect(r?.applyArgv).toEqual(['sysctl', '-w', `net.ipv4.tcp_rmem=4096 131072 ${120 * 1024 * 1024}`]);
    expect(r?.undoArgv).toEqual(['sysctl', '-w', 'net.ipv4.tcp_rmem=4096 131072 33554432']);
    expect(r?.blocked).toBeUndefined();
    // BDP 62.5 MB = 59.6 MiB; 32 MiB / 2 x 8 / 50 ms = 2.68 Gbit/s
    expect(r?.why).toContain('59.6 MiB');
    expect(r?.why).toContain('2.68 Gbit/s');
    expect(r?.persistence).toEqual({ how: 'sysctl-file', line: `net.ipv4.tcp_rmem = 4096 131072 ${120 * 1024 * 1024}` });
    const w = p.changes.find((c) => c.id === 'sysctl:net.ipv4.tcp_wmem');
    expect(w?.proposed).toBe(`4096 16384 ${120 * 1024 * 1024}`);
  });

  it('lists net.core limits as blocked inside a network namespace, where the kernel makes them read-only', () => {
    const p = plan({}, { linkSpeedMbps: { value: 10000, source: 'measured', detail: 'e' }, rttMs: { value: 50, source: 'given', detail: 'g' } });
    const core = p.changes.filter((c) => c.target.startsWith('net.core.'));
    expect(core.map((c) => c.id)).toEqual(['sysctl:net.core.rmem_max', 'sysctl:net.core.wmem_max']);
    for (const c of core) expect(c.blocked).toMatch(/read-only here: the kernel does not let it be set from inside a container or a network namespace/);
  });

  it('offers net.core limits where they are writable (the machine itself)', () => {
    const p = plan({ writability: allWritable }, { linkSpeedMbps: { value: 10000, source: 'measured', detail: 'e' }, rttMs: { value: 50, source: 'given', detail: 'g' } });
    const c = p.changes.find((x) => x.id === 'sysctl:net.core.rmem_max');
    expect(c?.blocked).toBeUndefined();
    expect(c?.applyArgv).toEqual(['sysctl', '-w', `net.core.rmem_max=${120 * 1024 * 1024}`]);
  });

  it('proposes no buffer change where the buffers already cover 2 x BDP (the lab at 0.05 ms)', () => {
    const p = plan({}, { linkSpeedMbps: { value: 10000, source: 'measured', detail: 'e' }, rttMs: { value: 0.05, source: 'measured', detail: 'm' } });
    expect(p.changes.filter((c) => c.kind === 'sysctl')).toEqual([]);
    expect(p.notes.some((n) => n.startsWith('net.ipv4.tcp_rmem: 32 MiB already covers 2 x BDP (1 MiB)'))).toBe(true);
  });

  it('plans no buffers without an RTT, and says what is missing', () => {
    const p = plan({}, { linkSpeedMbps: { value: 10000, source: 'measured', detail: 'e' } });
    expect(p.changes.filter((c) => c.kind === 'sysctl')).toEqual([]);
    expect(p.notes.some((n) => /no bandwidth-delay product without an RTT/.test(n))).toBe(true);
  });

  it('blocks every change when the SSH user is not root', () => {
    const p = plan({ writability: { uid: 1000, writable: {} } }, { linkSpeedMbps: { value: 10000, source: 'measured', detail: 'e' }, rttMs: { value: 50, source: 'given', detail: 'g' } });
    expect(p.changes.length).toBeGreaterThan(0);
    expect(p.changes.every((c) => c.blocked?.includes('is not root (uid 1000)'))).toBe(true);
  });
});
