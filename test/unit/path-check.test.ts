/**
 * The path check over lab captures: runPathCheck with a fake host that answers each command with what the lab
 * printed for it (test/fixtures/{ip,ping,tracepath,ethtool,preflight}), DF probes answered by a model of the path
 * (which sizes pass, and how the others fail) using the real captures of each outcome. Then the pure search on its
 * own: bounded probes for any boundary, and the flags' words.
 */
import { describe, expect, it } from 'vitest';
import { ok } from '../../shared/result';
import { parsePing } from '../../shared/parsers/ping';
import { parseTracepath } from '../../shared/parsers/tracepath';
import { runPathCheck, type PathCheckHost } from '../../electron/main/network/path-check';
import { applyRound, done, MAX_PROBES, MAX_ROUNDS, nextSizes, probeFromPing, searchReport, startSearch } from '../../shared/network/path-search';
import { buildHops, migrationTargets, portRanges } from '../../shared/network/path-analysis';
import { parseIpAddr } from '../../shared/parsers/ip';
import type { PathReport } from '../../shared/network/path-report';

import { FakeHost, PING_TEXT, fx, has, hvA, hvB, hvC } from './path-fakes';

let clock = 0;
const deps = { now: () => (clock += 1), wallClock: () => Date.parse('2026-11-25T12:00:00Z') };

async function check(src: FakeHost, dst: FakeHost, dstName: string, address: string): Promise<PathReport> {
  const s: PathCheckHost = { id: 'a', name: 'hvA', runner: src };
  const d: PathCheckHost = { id: 'b', name: dstName, runner: dst };
  const r = await runPathCheck({ source: s, destination: d, managementAddress: address }, deps);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const ids = (r: PathReport) => r.flags.map((f) => `${f.severity} ${f.id}${f.route ? ` ${f.route}` : ''}`);

describe('the path check on lab captures', () => {
  it('finds hvA <-> hvB clean at 9000 on both networks in two probe rounds, and every migration port reachable', async () => {
    const src = hvA({ mtu: 9000, above: 'lost' });
    const r = await check(src, hvB(), 'hvB', '10.77.0.12');
    expect(r.routes.map((x) => [x.kind, x.target])).toEqual([
      ['management', '10.77.0.12'],
      ['migration', '10.77.2.12'],
    ]);
    const m = r.routes[0];
    expect(m?.source).toMatchObject({ host: 'hvA', name: 'eth0', mtu: 9000, speedMbps: 10000, operState: 'up', adminUp: true, carrier: true, address: '10.77.0.11/24' });
    expect(m?.destination).toMatchObject({ host: 'hvB', name: 'eth0', mtu: 9000, address: '10.77.0.12/24' });
    expect(r.routes[1]?.source?.name).toBe('mig0');
    expect(r.routes[1]?.destination?.name).toBe('mig0');
    expect(m?.pmtu).toMatchObject({ largestPassing: 9000, exact: true, rounds: 2 });
    expect(m?.pmtu?.probes.map((p) => p.packetBytes)).toEqual([84, 1500, 9000]);
    expect(m?.hops).toEqual([{ hop: 1, address: '10.77.0.12', name: 'hvB', rttMs: 0.092, reached: true, linkMtu: 9000 }]);
    expect(m?.clip).toBeUndefined();
    expect(r.probeCount).toBe(6);
    expect(r.ports).toMatchObject({ target: '10.77.2.12', min: 49152, max: 49215, rangeFrom: 'qemu.conf', probeCount: 66 });
    expect(r.ports?.migration.refused).toHaveLength(64);
    // Only the libvirt TCP/TLS note: nothing about the path.
    expect(ids(r)).toEqual(['info libvirt-ports-closed']);
  });

  it('flags hvA -> hvC with path MTU 1500 and names lab-rt (10.77.0.1, hop 1) from its frag-needed', async () => {
    const src = hvA({ mtu: 1500, above: 'frag-needed' });
    const r = await check(src, hvC(), 'hvC', '10.77.1.13');
    expect(r.routes).toHaveLength(1);
    const m = r.routes[0];
    expect(m?.source).toMatchObject({ name: 'eth0', mtu: 9000, gateway: '10.77.0.1' });
    expect(m?.destination).toMatchObject({ name: 'eth0', mtu: 1500, gateway: '10.77.1.1' });
    expect(m?.pmtu).toMatchObject({ largestPassing: 1500, smallestFailing: 1501, exact: true, failure: 'frag-needed' });
    // 84, then 1500 + 9000 (frag-needed, mtu 1500), then 1501 to close the bracket.
    expect(m?.pmtu?.probes.map((p) => [p.packetBytes, p.outcome])).toEqual([
      [84, 'passed'],
      [1500, 'passed'],
      [9000, 'frag-needed'],
      [1501, 'too-big'],
    ]);
    expect(m?.clip).toMatchObject({ how: 'frag-needed', mtu: 1500, hop: 1, address: '10.77.0.1', nextAddress: '10.77.1.13', nextName: 'hvC' });
    expect(m?.hops.map((h) => [h.hop, h.address, h.name, h.linkMtu])).toEqual([
      [1, '10.77.0.1', undefined, 9000],
      [2, '10.77.1.13', 'hvC', 1500],
    ]);
    expect(ids(r)).toEqual(['warning path-mtu-drop management', 'info nic-mtu-mismatch management', 'info libvirt-ports-closed']);
    const drop = r.flags[0];
    expect(drop?.title).toBe('Path MTU 1500 at 10.77.0.1 (hop 1)');
    expect(drop?.facts).toContain("hvA's eth0 sends up to 9000");
    expect(drop?.fix).toContain("raise the MTU to 9000 on 10.77.0.1's interface toward hvC (10.77.1.13)");
  });

  it('calls a silent drop above 1500 between two 9000-byte NICs a black hole, located on their shared segment', async () => {
    const src = hvA({ mtu: 1500, above: 'lost' });
    const r = await check(src, hvB(), 'hvB', '10.77.0.12');
    const m = r.routes[0];
    expect(m?.pmtu).toMatchObject({ largestPassing: 1500, smallestFailing: 1501, exact: true, failure: 'lost' });
    // The TTL probe: hop 1 is hvB itself, and the 1501-byte packet never arrives.
    expect(m?.pmtu?.probes.filter((p) => p.ttl !== undefined).map((p) => [p.ttl, p.packetBytes, p.outcome])).toEqual([[1, 1501, 'lost']]);
    expect(m?.clip).toMatchObject({ how: 'silent', mtu: 1500, fixAt: 'the switch ports between hvA and hvB' });
    // Both NICs are 9000: the hop table names no 1500-byte link MTU nobody configured, only what vanishes.
    expect(m?.hops.map((h) => [h.hop, h.linkMtu, h.dropsAbove])).toEqual([[1, undefined, 1500]]);
    const hole = r.flags[0];
    expect(hole).toMatchObject({ id: 'black-hole', severity: 'error', route: 'management' });
    expect(hole?.facts).toMatch(/larger than 1500 bytes \(1501 and up\) vanish with no ICMP "fragmentation needed"/);
    expect(hole?.fix).toMatch(/^Raise the MTU to 9000 on the switch ports between hvA and hvB/);
    // Bounded: three search rounds and one TTL probe.
    expect(m?.pmtu?.rounds).toBe(3);
    expect(r.probeCount).toBeLessThanOrEqual(MAX_PROBES + 8 + 3);
  });

  it('locates a silent drop behind a router: the last hop that answered TTL exceeded and the next one', async () => {
    const src = hvA({ mtu: 1500, above: 'lost', ttlAnswers: new Map([[1, '10.77.0.1']]) });
    const r = await check(src, hvC(), 'hvC', '10.77.1.13');
    const m = r.routes[0];
    expect(m?.clip).toMatchObject({ how: 'silent', hop: 1, address: '10.77.0.1', nextAddress: '10.77.1.13', nextName: 'hvC' });
    expect(m?.clip?.fixAt).toBe('the link from 10.77.0.1 (hop 1) to hvC');
    // hvC's own NIC is 1500: that is the MTU of the link into it.
    expect(m?.hops.map((h) => [h.hop, h.linkMtu, h.dropsAbove])).toEqual([
      [1, undefined, undefined],
      [2, 1500, undefined],
    ]);
    // hvC's NIC is 1500: packets above it vanishing is a (warning) black hole, not an error.
    expect(r.flags.find((f) => f.id === 'black-hole')?.severity).toBe('warning');
  });

  it("flags hvB's NIC at 1500 on hvA's 9000 segment as a NIC mismatch (not a black hole), with the command to fix it", async () => {
    const link1500 = fx('ip/link-path-hvB-1500.txt');
    const addr1500 = fx('ip/addr-path-hvB.txt').replace(/("ifname":"eth0".*?"mtu":)9000/, '$11500');
    const src = hvA({ mtu: 1504, above: 'lost' });
    const r = await check(src, hvB([{ when: has('link', 'eth0'), answer: link1500 }, { when: has('addr'), answer: addr1500 }]), 'hvB', '10.77.0.12');
    const m = r.routes[0];
    expect(m?.destination?.mtu).toBe(1500);
    expect(m?.pmtu).toMatchObject({ largestPassing: 1504, smallestFailing: 1505, exact: true });
    const mismatch = r.flags.find((f) => f.id === 'nic-mtu-mismatch');
    expect(mismatch).toMatchObject({ severity: 'warning', route: 'management', title: 'NIC MTUs differ: hvA 9000, hvB 1500' });
    expect(mismatch?.fix).toContain("on hvB, `ip link set dev 'eth0' mtu 9000`");
    expect(r.flags.some((f) => f.id === 'black-hole' && f.route === 'management')).toBe(false);
    // 1504 passed (the VLAN slack past hvB's 1500): the table says what vanished, not an MTU of its own making.
    expect(m?.hops.map((h) => [h.hop, h.linkMtu, h.dropsAbove])).toEqual([[1, undefined, 1504]]);
  });

  it('says the hop cannot be named when the kernel already cached the path MTU, and how to make it nameable', async () => {
    const src = hvA({ mtu: 1500, above: 'too-big' }, [{ when: has('route', '10.77.1.13'), answer: fx('ip/route-get-path-routed-cached.txt') }]);
    const r = await check(src, hvC(), 'hvC', '10.77.1.13');
    expect(r.routes[0]?.clip).toMatchObject({ how: 'cached', mtu: 1500 });
    expect(r.routes[0]?.source?.cachedPmtu).toBe(1500);
    expect(ids(r)).toContain('info pmtu-cached management');
    expect(r.flags.find((f) => f.id === 'path-mtu-drop')?.fix).toMatch(/^To name the hop: on hvA, `ip route flush cache`/);
  });

  it('reports a destination that does not answer ping as unreachable, with no MTU claims', async () => {
    const src = hvA({ mtu: 0, above: 'lost' });
    const r = await check(src, hvB(), 'hvB', '10.77.0.12');
    expect(r.routes[0]?.pmtu?.largestPassing).toBeUndefined();
    expect(r.routes[0]?.pmtu?.probes).toHaveLength(1);
    expect(r.flags[0]).toMatchObject({ id: 'unreachable', severity: 'error' });
    expect(r.flags.some((f) => f.id === 'black-hole' || f.id === 'path-mtu-drop')).toBe(false);
  });

  it('flags a link that is down, and a migration NIC slower than the management NIC', async () => {
    const down = fx('ip/link-path-hvB.txt').replace(/("ifname":"mig0","flags":\[)[^\]]*\]/, '$1"BROADCAST","MULTICAST","UP"]');
    const slow = fx('ethtool/settings-veth.txt').replace('10000Mb/s', '1000Mb/s');
    const dst = hvB([
      { when: has('link', 'mig0'), answer: down },
      { when: (a) => a[0] === 'ethtool' && a.includes('mig0'), answer: slow },
    ]);
    const r = await check(hvA({ mtu: 9000, above: 'lost' }), dst, 'hvB', '10.77.0.12');
    const f = r.flags.find((x) => x.id === 'link-down');
    expect(f).toMatchObject({ severity: 'error', route: 'migration', title: "hvB's mig0 is down" });
    expect(f?.facts).toContain('up but without carrier');
    const s = r.flags.find((x) => x.id === 'migration-nic-slower');
    expect(s?.facts).toBe('On hvB, the migration network (10.77.2.12) runs over mig0 at 1000 Mb/s, the management network over eth0 at 10000 Mb/s.');
  });

  it('tells filtered migration ports (timeout) from closed-but-reachable ones (refused)', async () => {
    const src = hvA({ mtu: 9000, above: 'lost' });
    const run = src.run.bind(src);
    src.run = (argv) => {
      if (!argv.includes('ferry-port-probe')) return run(argv);
      const ports = argv.slice(argv.indexOf('ferry-port-probe') + 2);
      const stdout = ports.map((p) => (Number(p) >= 49200 && Number(p) <= 49215 ? `port ${p} rc 124 \n` : `port ${p} rc 1 10.77.2.12: connect: Connection refused\n`)).join('');
      return Promise.resolve(ok({ stdout, stderr: '', exitCode: 0 }));
    };
    const r = await check(src, hvB(), 'hvB', '10.77.0.12');
    expect(r.ports?.migration.timeout).toHaveLength(16);
    expect(r.ports?.migration.refused).toHaveLength(48);
    const f = r.flags.find((x) => x.id === 'ports-filtered');
    expect(f).toMatchObject({ severity: 'warning', title: 'Migration ports filtered: 49200-49215' });
    expect(f?.fix).toContain('Allow TCP 49152-49215 from hvA to 10.77.2.12');
  });

  it('refuses a management address that is not an IP', async () => {
    const r = await runPathCheck(
      { source: { id: 'a', name: 'hvA', runner: hvA({ mtu: 9000, above: 'lost' }) }, destination: { id: 'b', name: 'hvB', runner: hvB() }, managementAddress: 'hvB; reboot' },
      deps,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('input.invalid');
  });
});

describe('the DF search', () => {
  const parsed = (text: string) => {
    const r = parsePing(text);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const passed = parsed(PING_TEXT.passed);
  const lost = parsed(PING_TEXT.lost);

  function simulate(maxPacket: number, limit: number) {
    let s = startSearch(maxPacket);
    for (;;) {
      const sizes = nextSizes(s);
      if (sizes.length === 0) break;
      const round = s.round;
      s = applyRound(
        s,
        sizes.map((n) => probeFromPing(n, round, n <= limit ? passed : lost)),
      );
      if (done(s)) break;
    }
    return searchReport(s);
  }

  it('finds any silent limit between 84 and 9000 exactly within its probe and round budget', () => {
    for (const limit of [84, 100, 576, 1280, 1400, 1450, 1492, 1500, 1504, 1508, 1522, 2000, 3333, 4000, 4470, 7000, 8000, 8972, 8999, 9000]) {
      const r = simulate(9000, limit);
      expect(r.largestPassing, `limit ${limit}`).toBe(limit);
      expect(r.exact, `limit ${limit}`).toBe(true);
      expect(r.probes.length, `limit ${limit}`).toBeLessThanOrEqual(MAX_PROBES);
      expect(r.rounds, `limit ${limit}`).toBeLessThanOrEqual(MAX_ROUNDS);
    }
  });

  it('takes 2 rounds for a clean jumbo path and 3 for the classic 1500 black hole', () => {
    expect(simulate(9000, 9000).rounds).toBe(2);
    expect(simulate(9000, 1500)).toMatchObject({ rounds: 3, largestPassing: 1500, smallestFailing: 1501, failure: 'lost' });
  });

  it('stops after the first probe when not even a small packet gets through', () => {
    const r = simulate(9000, 0);
    expect(r.probes).toHaveLength(1);
    expect(r.largestPassing).toBeUndefined();
  });
});

describe('path helpers', () => {
  it('reads the TTL-exceeded answer of a hop and the frag-needed router from real ping output', () => {
    const ttl = parsePing(fx('ping/path-probe-ttl-exceeded.txt'));
    const frag = parsePing(fx('ping/path-probe-routed-frag-needed.txt'));
    if (!ttl.ok || !frag.ok) throw new Error('fixtures');
    expect(probeFromPing(1500, 0, ttl.value, 1)).toMatchObject({ outcome: 'ttl-exceeded', from: '10.77.0.1', ttl: 1 });
    expect(probeFromPing(9000, 1, frag.value)).toMatchObject({ outcome: 'frag-needed', from: '10.77.0.1', mtu: 1500 });
  });

  it("builds the hops of tracepath -b: the router's frag-needed line under hop 2 does not hide hvC", () => {
    const tp = parseTracepath(fx('tracepath/path-named-routed.txt'));
    if (!tp.ok) throw new Error(tp.error.message);
    expect(buildHops(tp.value, new Map([['10.77.0.1', 'lab-rt']]))).toEqual([
      { hop: 1, address: '10.77.0.1', name: 'lab-rt', rttMs: 0.09, reached: false },
      { hop: 2, address: '10.77.1.13', name: 'hvC', rttMs: 0.025, reached: true },
    ]);
  });

  it("finds hvB's migration address (mig0, a subnet hvA shares) and nothing for hvC", () => {
    const a = parseIpAddr(fx('ip/addr.txt'));
    const b = parseIpAddr(fx('ip/addr-path-hvB.txt'));
    const c = parseIpAddr(fx('ip/addr-path-hvC.txt'));
    if (!a.ok || !b.ok || !c.ok) throw new Error('fixtures');
    expect(migrationTargets(b.value, a.value, '10.77.0.12')).toEqual(['10.77.2.12']);
    expect(migrationTargets(c.value, a.value, '10.77.1.13')).toEqual([]);
  });

  it('writes port lists as ranges', () => {
    expect(portRanges([49155, 49152, 49153, 49154, 49200, 16509])).toBe('16509, 49152-49155, 49200');
  });
});
