/**
 * Every command Ferry shows an admin to paste embeds names through shLine (shared/shell/quote.ts). Each place is fed
 * hostile names (a VM, interface, host or file named `x;id`, `$(id)`, `a'b;id`), and the command it shows is run by
 * a real /bin/sh whose PATH holds only recording stubs: `id` must never run, and each name must reach the program as
 * exactly one argument.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { err, ok } from '../../shared/result';
import { ferryError } from '../../shared/errors';
import { runPreflight, type PreflightDeps } from '../../electron/main/migration/preflight';
import { shLine } from '../../shared/shell/quote';
import { counterFinding, linkFinding, offloadFinding, ringFinding } from '../../shared/audit/nic';
import { bondFinding } from '../../shared/audit/bonding';
import { cpuPinningFinding } from '../../shared/audit/cpu-pinning';
import { storageFindings } from '../../shared/audit/storage';
import { kernelLogFindings } from '../../shared/audit/kernel-log';
import { migrationNetworkVerdict } from '../../shared/audit/migration-network';
import { routeFlags } from '../../shared/network/path-flags';
import type { PathInterface, PathRoute } from '../../shared/network/path-report';
import { parseDmesg } from '../../shared/parsers/dmesg';
import type { EthtoolFeatures, EthtoolSettings } from '../../shared/parsers/ethtool';
import { planTuning, withBdp, type NicState, type PlanMeta } from '../../shared/tuning/plan';
import { checkPresentedKey } from '../../electron/main/ssh/host-key-check';
import { memoryKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { parseEthtoolFeatures, parseVirshNodeinfo } from '../../shared/parsers';
import { forgetKeyCommand } from '../../renderer/src/features/host/HostKeyChanged';

const HOSTILE = ['x;id', '$(id)', "a'b;id", '`id` #'];
const PROGRAMS = ['virsh', 'ethtool', 'ip', 'cat', 'dmesg', 'grep', 'sysctl', 'ssh-keygen', 'id'];

const bin = mkdtempSync(join(tmpdir(), 'ferry-paste-'));
const log = join(bin, 'calls');
for (const p of PROGRAMS) {
  // Builtins only (the PATH holds nothing else): each call writes its argv, \x1f-separated, to a file of its own (the
  // two ends of a pipeline run at once).
  writeFileSync(join(bin, p), `#!/bin/sh\n{ printf '%s' "\${0##*/}"; for a in "$@"; do printf '\\037%s' "$a"; done; } > "$LOG/$$"\n`);
  chmodSync(join(bin, p), 0o755);
}
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** Runs a pasted command line in sh with only the stubs on PATH; returns each program call's argv. */
function runPasted(line: string): string[][] {
  rmSync(log, { recursive: true, force: true });
  mkdirSync(log);
  // Placeholders for the admin to fill in (<KiB>, <max>) would read as redirections: give them a value.
  const runnable = line.replace(/<[A-Za-z][^<>]*>/g, '1').replace(/^\/usr\/sbin\//, '');
  execFileSync('/bin/sh', ['-c', runnable], { env: { PATH: bin, LOG: log, HOME: bin }, stdio: 'ignore' });
  return readdirSync(log).map((f) => readFileSync(join(log, f), 'utf8').split('\x1f'));
}

/** The command starting at `prefix` in a sentence, up to the first unquoted `stop` (quote-aware, as sh reads it). */
function commandAt(text: string, prefix: string, stop: string): string {
  const start = text.indexOf(prefix);
  if (start < 0) throw new Error(`no "${prefix}" in: ${text}`);
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '\\') i++;
    else if (!quoted && text.startsWith(stop, i)) return text.slice(start, i);
  }
  return text.slice(start);
}

/** The pasted command runs no `id`, and `name` reaches `program` as one whole argument. */
function expectSafe(command: string, program: string, name: string): void {
  const calls = runPasted(command);
  expect(calls.map((c) => c[0])).not.toContain('id');
  expect(calls.find((c) => c[0] === program)?.slice(1)).toContain(name);
}

describe('shLine', () => {
  it('keeps the literal words and quotes every value, arrays one word per element, numbers bare', () => {
    expect(shLine`ethtool -G ${'eth0'} rx ${4096}`).toBe("ethtool -G 'eth0' rx 4096");
    expect(shLine`virsh list ${['--all', 'x y']}`).toBe("virsh list '--all' 'x y'");
    for (const name of HOSTILE) {
      expect(runPasted(shLine`virsh dominfo --domain ${name}`)).toEqual([['virsh', 'dominfo', '--domain', name]]);
    }
  });
});

const features: EthtoolFeatures = (() => {
  const f = parseEthtoolFeatures(readFileSync(join(__dirname, '../fixtures/ethtool/features-veth.txt'), 'utf8'));
  if (!f.ok) throw new Error(f.error.message);
  return f.value;
})();

describe.each(HOSTILE)('a name like %j in the readiness audit', (name) => {
  it('NIC link: ip link set ... up, ethtool -s ... autoneg on', () => {
    const down: EthtoolSettings = { ifname: name, linkDetected: false, fields: {} };
    expectSafe(commandAt(linkFinding(name, ok(down)).fix ?? '', 'ip link', '`'), 'ip', name);
    const half: EthtoolSettings = { ifname: name, linkDetected: true, duplex: 'half', fields: {} };
    expectSafe(commandAt(linkFinding(name, ok(half)).fix ?? '', 'ethtool -s', '`'), 'ethtool', name);
  });

  it('NIC rings, offloads and counters: ethtool -G / -K', () => {
    const ring = ringFinding(name, 'ixgbe', ok({ supported: true, ifname: name, max: { rx: 4096, tx: 4096 }, current: { rx: 256, tx: 4096 } }));
    expectSafe(commandAt(ring.fix ?? '', 'ethtool -G', ' (persist'), 'ethtool', name);
    expectSafe(commandAt(offloadFinding(name, ok(features)).fix ?? '', 'ethtool -K', ' (and'), 'ethtool', name);
    const stats = ok([{ ifname: name, mtu: 1500, rx: { bytes: 1, packets: 10, errors: 0, dropped: 0, overruns: 7 }, tx: { bytes: 1, packets: 10, errors: 0, dropped: 0 } }]);
    expectSafe(commandAt(counterFinding(name, stats).fix ?? '', 'ethtool -G', ')'), 'ethtool', name);
  });

  it('bonds: cat /proc/net/bonding/NAME', () => {
    const f = bondFinding({ name, mode: '802.3ad', modeText: 'IEEE 802.3ad Dynamic link aggregation', members: [] });
    expectSafe(commandAt(f.fix ?? '', 'cat ', ')'), 'cat', `/proc/net/bonding/${name}`);
    const member = { name: 'ens1f0', miiStatus: 'down' };
    const warn = bondFinding({ name, mode: '802.3ad', modeText: 'IEEE 802.3ad', members: [member, { name: 'ens1f1', miiStatus: 'up' }] } as Parameters<typeof bondFinding>[0]);
    expectSafe(commandAt(warn.fix ?? '', 'cat ', '.'), 'cat', `/proc/net/bonding/${name}`);
  });

  it('CPU pinning: virsh emulatorpin / vcpupin --domain VM', () => {
    const node = parseVirshNodeinfo(readFileSync(join(__dirname, '../fixtures/virsh/nodeinfo.txt'), 'utf8'));
    const eight = node.ok ? ok({ ...node.value, cpus: 8 }) : node;
    const two = node.ok ? ok({ ...node.value, cpus: 2 }) : node;
    const free = cpuPinningFinding(name, ok([{ vcpu: 0, cpus: [2] }]), ok({ cpus: [0, 1, 2] }), eight);
    expectSafe(commandAt(free.fix ?? '', 'virsh emulatorpin', ' (CPUs'), 'virsh', name);
    const none = cpuPinningFinding(name, ok([{ vcpu: 0, cpus: [0] }, { vcpu: 1, cpus: [1] }]), ok({ cpus: [0, 1] }), two);
    expectSafe(commandAt(none.fix ?? '', 'virsh vcpupin', ' VCPU'), 'virsh', name);
    expectSafe(commandAt(none.fix ?? '', 'virsh emulatorpin', ' --cpulist CPU'), 'virsh', name);
  });

  it('storage: virsh domblklist --domain VM', () => {
    const [f] = storageFindings({ vm: name, disks: ok([{ type: 'file', device: 'disk', target: 'vda', source: '/nope.img' }]), backing: ok([{ path: '/nope.img', kind: 'missing' }]), snapshots: ok([]) });
    expectSafe(commandAt(f?.fix ?? '', 'virsh domblklist', ')'), 'virsh', name);
  });

  // The kernel log names an interface as a word: a name with a space cannot be found there at all.
  it.skipIf(/\s/.test(name))('kernel log: dmesg -T | grep -w NAME', () => {
    const [f] = kernelLogFindings(parseDmesg(`kern  :err   : [ 200.000000] e1000e 0000:00:19.0 ${name}: Detected Hardware Unit Hang:`), [{ name, driver: 'e1000e' }]);
    expectSafe(commandAt(f?.fix ?? '', 'dmesg', ');'), 'grep', name);
  });

  it('migration network: --migrateuri tcp://ADDRESS', () => {
    const route = ok({ dst: name, dev: 'mig0', prefsrc: '10.77.2.11' }) as never;
    const v = migrationNetworkVerdict({ peerName: 'hvB', managementNic: 'eth0', peerManagementAddress: '10.77.0.12', peerAddresses: [{ nic: 'mig0', address: name }] as never, routes: [{ address: '10.77.0.12', route: ok({ dst: '10.77.0.12', dev: 'eth0' }) as never }, { address: name, route }] });
    expectSafe(commandAt(v.finding.fix ?? '', 'virsh migrate', ')'), 'virsh', `tcp://${name}`);
  });
});

describe.each(HOSTILE)('a name like %j in the network path check', (name) => {
  const side = (over: Partial<PathInterface>): PathInterface => ({ host: 'hvA', name, mtu: 1500, operState: 'up', adminUp: true, carrier: true, ...over });
  const route = (over: Partial<PathRoute>): PathRoute => ({ kind: 'migration', target: '10.77.2.12', hops: [], problems: [], durationMs: 1, ...over });

  it('a link down: ip link set dev NAME up, ethtool NAME', () => {
    const [admin] = routeFlags(route({ source: side({ adminUp: false }) }), { source: 'hvA', destination: 'hvB' });
    expectSafe(commandAt(admin?.fix ?? '', 'ip link', '`'), 'ip', name);
    const [carrier] = routeFlags(route({ source: side({ carrier: false }) }), { source: 'hvA', destination: 'hvB' });
    expectSafe(commandAt(carrier?.fix ?? '', 'ethtool', ' shows'), 'ethtool', name);
  });

  it('no answer: ip route get TARGET', () => {
    const flags = routeFlags(route({ target: name }), { source: 'hvA', destination: 'hvB' });
    expectSafe(commandAt(flags.find((f) => f.id === 'unreachable')?.fix ?? '', 'ip route', '`'), 'ip', name);
  });

  it('MTU mismatch on one segment: ip link set dev NAME mtu N', () => {
    const pmtu = { largestPassing: 1500, exact: true, rounds: 1, probes: [] };
    const flags = routeFlags(route({ source: side({ mtu: 9000, name: 'mig0' }), destination: side({ host: 'hvB', mtu: 1500 }), pmtu }), { source: 'hvA', destination: 'hvB' });
    expectSafe(commandAt(flags.find((f) => f.id === 'nic-mtu-mismatch')?.fix ?? '', 'ip link', '`'), 'ip', name);
  });
});

describe('interface names in a tuning plan', () => {
  const meta: PlanMeta = { id: 'plan-1', hostId: 'h-b', hostName: 'hvB', createdAt: '2026-11-25T12:00:00.000Z', sysctlFile: '/etc/sysctl.d/90-ferry-migration.conf' };
  const nic = (ifname: string): NicState => ({
    ifname,
    reason: 'route to hvA',
    towardsPeer: true,
    mtu: 9000,
    maxMtu: 65535,
    kind: 'ixgbe',
    ring: { supported: true, ifname, max: { rx: 4096, tx: 4096 }, current: { rx: 256, tx: 512 } },
    features,
    speedMbps: 10000,
  });
  const postUp = (ifname: string) => {
    const plan = planTuning({ nics: [nic(ifname)], sysctls: { values: {} }, writability: { uid: 0, writable: {} } }, withBdp({}), meta);
    return plan.changes.flatMap((c) => (c.persistence.how === 'manual' ? c.persistence.advice : [])).filter((l) => l.includes('post-up'));
  };

  it('quotes the interface in the post-up lines (ifupdown runs them with sh)', () => {
    const lines = postUp('eth1.100');
    expect(lines).toHaveLength(2); // rings and GRO
    for (const l of lines) expectSafe(commandAt(l, '/usr/sbin/ethtool', ' in its stanza'), 'ethtool', 'eth1.100');
  });

  it.each(HOSTILE)('proposes nothing for an interface named %j (not an interface name), so no line carries it', (name) => {
    expect(postUp(name)).toEqual([]);
  });
});

describe.each(HOSTILE)('a host or file named like %j in the changed-host-key message', (name) => {
  it('ssh-keygen -R HOST -f FILE', async () => {
    const key = (n: string) => Buffer.from(readFileSync(join(__dirname, '../fixtures/known_hosts/keys', `${n}.pub`), 'utf8').split(' ')[1] ?? '', 'base64');
    const store = { ...memoryKnownHostsStore(`hva ssh-ed25519 ${key('hva-ed25519').toString('base64')}\n`), name: `/tmp/${name}/known_hosts` };
    const r = await checkPresentedKey(store, { host: 'hva', port: 22, user: 'root' }, key('imposter-ed25519'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const calls = runPasted(commandAt(r.error.message, 'ssh-keygen', ')'));
    expect(calls).toEqual([['ssh-keygen', '-R', 'hva', '-f', `/tmp/${name}/known_hosts`]]);
  });

  it("the host panel's ssh-keygen -R HOST -f FILE", () => {
    expect(runPasted(forgetKeyCommand(`[${name}]:2222`, `/tmp/${name}/known_hosts`))).toEqual([['ssh-keygen', '-R', `[${name}]:2222`, '-f', `/tmp/${name}/known_hosts`]]);
    // A home-relative file keeps its ~ for the shell to expand; the rest is quoted.
    const [call] = runPasted(forgetKeyCommand('hva', `~/${name}/known_hosts`));
    expect(call?.slice(-1)).toEqual([`${bin}/${name}/known_hosts`]);
  });
});

describe.each(HOSTILE)('a VM named like %j in pre-flight', (vm) => {
  it('RDMA: virsh memtune --domain VM --hard-limit <KiB> --config', async () => {
    const fx = (p: string) => readFileSync(join(__dirname, '../fixtures', p), 'utf8');
    const probe = fx('preflight/rdma-hvA.txt');
    const hosts: PreflightDeps['hosts'] = {
      exec: () => ({
        run: (argv) => {
          if (argv.includes('sh') && argv.some((x) => x.includes('/sys/class/infiniband'))) return Promise.resolve(ok({ stdout: probe, stderr: '', exitCode: 0 }));
          if (argv.includes('dumpxml')) return Promise.resolve(ok({ stdout: fx('virsh/dumpxml-migratable-vm1.txt'), stderr: '', exitCode: 0 }));
          return Promise.resolve(err(ferryError('command.not-found', 'not part of this test')));
        },
      }),
    };
    const A = { target: { host: '10.77.0.11', user: 'root' }, name: 'hvA', address: '10.77.0.11' };
    const B = { target: { host: '10.77.0.12', user: 'root' }, name: 'hvB', address: '10.77.0.12' };
    const results = await runPreflight({ vm, source: A, destination: B, options: { live: true, p2p: true, rdmaPinAll: true } }, { hosts, now: () => 0 });
    const fix = results.find((r) => r.check === 'rdma')?.fix ?? '';
    expectSafe(commandAt(fix, 'virsh memtune', '`'), 'virsh', vm);
  });
});
