// The path check on the lab, through the SSH core Ferry uses (electron/main/network/path-check.ts): hvA <-> hvB clean
// at 9000 on both networks; hvA -> hvC clipped to 1500 by lab-rt, named as the hop (by its address, and by name once
// hvA's /etc/hosts knows it); hvB's NIC at 1500 flags a NIC mismatch; a faithful black hole at hvB's switch port is
// located on their shared segment. Every lab change is undone in finally.
// Run under the lab lock: flock /var/tmp/ferry-lab.lock npx vitest run --project integration test/integration/network-path.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, requireLab } from '../lab/use-lab';
import { hx, labHost, labRun, type HostName } from '../lab/lab';
import { SshPool } from '../../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { execRunner } from '../../electron/main/remote/ssh-runner';
import { runPathCheck, type PathCheckHost } from '../../electron/main/network/path-check';
import type { PathReport } from '../../shared/network/path-report';

const explain = (r: PathReport): string =>
  [
    ...r.routes.map((x) => `${x.kind} ${x.target}: P=${x.pmtu?.largestPassing ?? '-'} probes=${x.pmtu?.probes.map((p) => `${p.packetBytes}${p.ttl ? `/ttl${p.ttl}` : ''}:${p.outcome}`).join(',') ?? ''} clip=${x.clip?.where ?? '-'}`),
    ...r.flags.map((f) => `${f.severity} ${f.id}: ${f.facts}`),
  ].join('\n');

describe.skipIf(!lab)('the network path between lab hosts', () => {
  let pool: SshPool;
  const host = (name: HostName): PathCheckHost & { ip: string } => {
    const h = labHost(requireLab(), name);
    return { id: name, name, ip: h.ip, runner: execRunner(pool, { host: h.ip, user: h.user, port: h.port }) };
  };
  const check = async (from: HostName, to: HostName): Promise<PathReport> => {
    const s = host(from);
    const d = host(to);
    const started = performance.now();
    const r = await runPathCheck({ source: s, destination: d, managementAddress: d.ip, names: new Map([[d.ip, to]]) }, { now: () => performance.now(), wallClock: Date.now });
    if (!r.ok) throw new Error(r.error.message);
    // Printed, not asserted (the machine is shared): the Performance figure lives in bench/path-check.ts.
    console.log(`path ${from} -> ${to}: ${Math.round(performance.now() - started)} ms, ${r.value.probeCount} probes`);
    return r.value;
  };
  const flush = (h: HostName) => hx(h, ['ip', 'route', 'flush', 'cache']);

  beforeAll(() => {
    const l = requireLab();
    const key = readFileSync(l.clientKey);
    pool = new SshPool({ knownHosts: fileKnownHostsStore(l.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
  });
  afterAll(async () => {
    await pool?.dispose();
  });

  it('finds hvA <-> hvB clean at 9000 on the management and the migration network, every migration port reachable', async () => {
    await flush('hvA');
    const r = await check('hvA', 'hvB');
    expect(r.routes.map((x) => [x.kind, x.target]), explain(r)).toEqual([
      ['management', '10.77.0.12'],
      ['migration', '10.77.2.12'],
    ]);
    for (const route of r.routes) {
      expect(route.source?.mtu).toBe(9000);
      expect(route.destination?.mtu).toBe(9000);
      expect(route.pmtu, explain(r)).toMatchObject({ largestPassing: 9000, exact: true });
      expect(route.clip).toBeUndefined();
      expect(route.hops.at(-1)).toMatchObject({ address: route.target, reached: true, linkMtu: 9000 });
    }
    expect(r.routes[0]?.hops[0]?.name).toBe('hvB');
    expect(r.routes[1]?.source?.name).toBe('mig0');
    expect(r.flags.filter((f) => f.severity !== 'info'), explain(r)).toEqual([]);
    expect(r.ports).toMatchObject({ target: '10.77.2.12', min: 49152, max: 49215, rangeFrom: 'qemu.conf' });
    // Nothing listens until a migration starts: every port answers with a reset (reachable, not filtered).
    expect(r.ports?.migration.refused).toHaveLength(64);
    expect(r.ports?.migration.timeout).toEqual([]);
    const back = await check('hvB', 'hvA');
    expect(back.routes.map((x) => x.pmtu?.largestPassing)).toEqual([9000, 9000]);
  });

  it('flags hvA -> hvC with path MTU 1500 and names lab-rt as the hop, by address and by name', async () => {
    const l = requireLab();
    const labRt = l.router.ports.find((p) => p.mtu === 9000)?.ip;
    expect(labRt).toBe('10.77.0.1');
    const hostsFile = join(l.dir, 'hosts', 'hvA', 'hosts');
    const original = readFileSync(hostsFile, 'utf8');
    try {
      await flush('hvA');
      const r = await check('hvA', 'hvC');
      const route = r.routes[0];
      expect(r.routes).toHaveLength(1);
      expect(route?.pmtu, explain(r)).toMatchObject({ largestPassing: 1500, smallestFailing: 1501, exact: true, failure: 'frag-needed' });
      expect(route?.clip).toMatchObject({ how: 'frag-needed', mtu: 1500, hop: 1, address: labRt, nextAddress: '10.77.1.13' });
      const drop = r.flags.find((f) => f.id === 'path-mtu-drop');
      expect(drop, explain(r)).toMatchObject({ severity: 'warning', title: 'Path MTU 1500 at 10.77.0.1 (hop 1)' });

      // Where the source host resolves the router's address, the hop carries its name.
      writeFileSync(hostsFile, `${original.trimEnd()}\n10.77.0.1 lab-rt\n`);
      await flush('hvA');
      const named = await check('hvA', 'hvC');
      expect(named.routes[0]?.clip, explain(named)).toMatchObject({ address: labRt, name: 'lab-rt', hop: 1 });
      expect(named.flags.find((f) => f.id === 'path-mtu-drop')?.title).toBe('Path MTU 1500 at lab-rt (10.77.0.1) (hop 1)');
      expect(named.routes[0]?.hops.map((h) => [h.hop, h.name])).toEqual([
        [1, 'lab-rt'],
        [2, 'hvC'],
      ]);

      // A second check while hvA's kernel remembers the path MTU: still 1500, the hop not re-probable, said so.
      const cached = await check('hvA', 'hvC');
      expect(cached.routes[0]?.pmtu?.largestPassing).toBe(1500);
      expect(cached.routes[0]?.clip?.how).toBe('cached');
      expect(cached.flags.map((f) => f.id)).toContain('pmtu-cached');
    } finally {
      writeFileSync(hostsFile, original);
      await flush('hvA');
    }
  });

  it("flags a NIC mismatch when hvB's eth0 is set to 1500 on hvA's 9000-byte segment", async () => {
    try {
      await labRun(['mtu', 'hvB', 'eth0', '1500']);
      await flush('hvA');
      const r = await check('hvA', 'hvB');
      const m = r.routes.find((x) => x.kind === 'management');
      expect(m?.destination?.mtu).toBe(1500);
      const f = r.flags.find((x) => x.id === 'nic-mtu-mismatch');
      expect(f, explain(r)).toMatchObject({ severity: 'warning', route: 'management', title: 'NIC MTUs differ: hvA 9000, hvB 1500' });
      expect(f?.fix).toContain("on hvB, `ip link set dev 'eth0' mtu 9000`");
      // The migration network is untouched: still clean.
      expect(r.routes.find((x) => x.kind === 'migration')?.pmtu?.largestPassing).toBe(9000);
    } finally {
      await labRun(['mtu', 'hvB', 'eth0', '9000']);
    }
  });

  it('locates a black hole at hvB\'s switch port: two 9000-byte NICs, packets over 1500 vanish without "fragmentation needed"', async () => {
    try {
      await labRun(['blackhole', 'on', 'sw-hvB']);
      await flush('hvA');
      const r = await check('hvA', 'hvB');
      const m = r.routes.find((x) => x.kind === 'management');
      expect(m?.pmtu, explain(r)).toMatchObject({ largestPassing: 1500, smallestFailing: 1501, exact: true, failure: 'lost' });
      expect(m?.clip).toMatchObject({ how: 'silent', mtu: 1500, fixAt: 'the switch ports between hvA and hvB' });
      // Both NICs are 9000: the hop says what vanishes, never a 1500-byte link MTU nobody configured.
      expect(m?.hops.map((h) => [h.hop, h.linkMtu, h.dropsAbove])).toEqual([[1, undefined, 1500]]);
      const hole = r.flags[0];
      expect(hole, explain(r)).toMatchObject({ id: 'black-hole', severity: 'error', route: 'management' });
      expect(hole?.fix).toMatch(/^Raise the MTU to 9000 on the switch ports between hvA and hvB/);
      // Bounded: the search and the TTL probes together.
      expect(r.probeCount).toBeLessThanOrEqual(60);
      // The migration network has its own switch port (sw2-hvB): clean.
      expect(r.routes.find((x) => x.kind === 'migration')?.pmtu?.largestPassing).toBe(9000);
    } finally {
      await labRun(['blackhole', 'off', 'sw-hvB']);
    }
  });

  it("on the migration network, a black hole at hvB's port (sw2-hvB) leaves the migration hop without a link MTU between two 9000-byte mig0s", async () => {
    try {
      await labRun(['blackhole', 'on', 'sw2-hvB']);
      await flush('hvA');
      const r = await check('hvA', 'hvB');
      const mig = r.routes.find((x) => x.kind === 'migration');
      expect(mig?.source?.mtu).toBe(9000);
      expect(mig?.destination?.mtu).toBe(9000);
      expect(mig?.pmtu, explain(r)).toMatchObject({ largestPassing: 1500, failure: 'lost' });
      expect(mig?.hops.map((h) => [h.hop, h.address, h.linkMtu, h.dropsAbove])).toEqual([[1, '10.77.2.12', undefined, 1500]]);
      // The management network has its own switch port: clean, its hop at 9000.
      expect(r.routes.find((x) => x.kind === 'management')?.hops.at(-1)?.linkMtu).toBe(9000);
    } finally {
      await labRun(['blackhole', 'off', 'sw2-hvB']);
      await flush('hvA');
    }
  });
});
