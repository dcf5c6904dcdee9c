/**
 * Pre-flight's pure rules (shared/migration/preflight-rules.ts, preflight-network-rules.ts) on facts built from the
 * lab's captures (test/fixtures), parsed by the parsers main uses, and on variants of them for what the lab cannot
 * show. No host, no runner: facts in, verdict out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../shared/result';
import { ferryError, type FerryError } from '../../shared/errors';
import { parseVirshDominfo } from '../../shared/parsers/virsh-domain';
import { parseDumpxml } from '../../shared/parsers/virsh-dumpxml';
import { parseVirshVersion } from '../../shared/parsers/virsh-host';
import { parseCpuCompare, parseNodeMemStats, parseRemoteVirshVersion } from '../../shared/parsers/virsh-preflight';
import { parsePathProbe, parsePortProbe, parseQemuConf, parseRdmaProbe } from '../../shared/parsers/preflight-probes';
import { parseIpLink, parseIpRouteGet } from '../../shared/parsers/ip';
import {
  couldNotCheck,
  cpuRule,
  judgeCheck,
  memoryRule,
  nameRule,
  offlineSkip,
  p2pRule,
  rdmaRule,
  stateRule,
  storageRule,
  timedOut,
  versionsRule,
} from '../../shared/migration/preflight-rules';
import { mtuRule, portsRule, tlsRule } from '../../shared/migration/preflight-network-rules';
import {
  mtuReturnAddress,
  mtuTarget,
  portPlan,
  storagePlan,
  tlsFiles,
  TLS_CLIENT_FILES,
  type LinkSide,
  type PreflightOptions,
  type PreflightSetting,
  type TlsFacts,
} from '../../shared/migration/preflight-facts';

const fx = (p: string): string => readFileSync(join(__dirname, '..', 'fixtures', p), 'utf8');
function val<T>(r: Result<T, FerryError>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const setting = (options: PreflightOptions = { p2p: true }): PreflightSetting => ({
  vm: 'vm1',
  source: { name: 'hvA', address: '10.77.0.11' },
  destination: { name: 'hvB', address: '10.77.0.12' },
  options,
});

const running = val(parseVirshDominfo(fx('virsh/dominfo-running.txt')));
const shutOff = val(parseVirshDominfo(fx('virsh/dominfo-shut-off.txt')));
const vm1 = val(parseDumpxml(fx('virsh/dumpxml-migratable-vm1.txt')));
const version = val(parseVirshVersion(fx('virsh/version.txt')));

describe('the state rule', () => {
  it('passes a running VM, and fails a shut-off persistent one for a live migration, certain, offering --offline', () => {
    expect(stateRule(setting(), { found: true, info: running })).toEqual({ status: 'pass', message: 'vm1 is running on hvA.' });
    const v = stateRule(setting({ live: true }), { found: true, info: shutOff });
    expect(v.status).toBe('fail');
    expect(v.remedy).toBe('offline');
    expect(v.overridable).toBeUndefined();
  });

  it('fails a VM the source does not have, keeping libvirt\'s words as detail', () => {
    const v = stateRule(setting(), { found: false, detail: "error: failed to get domain 'vm1'" });
    expect(v).toMatchObject({ status: 'fail', message: 'hvA has no domain named vm1: there is nothing to migrate.', detail: "error: failed to get domain 'vm1'" });
  });

  it('passes --offline for a shut-off persistent VM and refuses it for a transient one', () => {
    expect(stateRule(setting({ offline: true, persistent: true }), { found: true, info: shutOff }).status).toBe('pass');
    const transient = stateRule(setting({ offline: true, persistent: true }), { found: true, info: { ...shutOff, persistent: false } });
    expect(transient.message).toBe('vm1 is transient on hvA: it has no definition for --offline to move.');
  });
});

describe('the p2p rule', () => {
  const uri = 'qemu+ssh://root@10.77.0.12/system';
  it("names the destination's libvirt version when the source's libvirt connects", () => {
    const v = p2pRule(setting(), { uri, reached: parseRemoteVirshVersion(fx('virsh/version-p2p-hvB.txt')) });
    expect(v.message).toBe("hvA's libvirt connected to hvB over qemu+ssh://root@10.77.0.12/system (libvirt 9.0.0 there).");
  });

  it('fails with the cause, libvirt\'s last line and a pasted command quoted by shLine', () => {
    const v = p2pRule(setting(), { uri, reached: parseRemoteVirshVersion(fx('virsh/version-p2p-error-libvirtd-down.txt')) });
    expect(v.status).toBe('fail');
    expect(v.message).toMatch(/^libvirtd is not running on the destination/);
    expect(v.fix).toContain("`virsh -c 'qemu+ssh://root@10.77.0.12/system' version`");
  });
});

describe('the versions, CPU, name and memory rules', () => {
  it('warns when the destination runs an older libvirt than the source', () => {
    expect(versionsRule(setting(), { source: version, destination: version }).status).toBe('pass');
    const older = { ...version, library: { ...version.library, version: '8.0.0' } };
    const v = versionsRule(setting(), { source: version, destination: older });
    expect(v.status).toBe('warn');
    expect(v.message).toContain("The destination's libvirt is older than the source's");
  });

  it("passes a superset CPU in the domain's words, fails an incompatible one with the missing features", () => {
    const ok = cpuRule(setting(), { definition: vm1.definition, comparison: val(parseCpuCompare(fx('virsh/hypervisor-cpu-compare-superset.txt'))) });
    expect(ok.status).toBe('pass');
    expect(ok.message).toContain("the domain's definition");
    const bad = cpuRule(setting(), { definition: vm1.definition, comparison: val(parseCpuCompare(fx('virsh/hypervisor-cpu-compare-incompatible-kvm.txt'))) });
    expect(bad).toMatchObject({ status: 'fail', detail: expect.stringContaining('pni, svm') });
  });

  it('passes a free name, fails one taken by another UUID or a running copy, warns about an inactive copy', () => {
    const uuid = vm1.definition.uuid;
    expect(nameRule(setting(), { name: 'vm1', uuid }).message).toBe('No domain named vm1 on hvB.');
    expect(nameRule(setting(), { name: 'vm1', uuid, existing: shutOff }).message).toMatch(/already has a domain named vm1 with another UUID/);
    expect(nameRule(setting(), { name: 'vm1', uuid, existing: { ...shutOff, uuid: uuid.toUpperCase() } }).status).toBe('warn');
    expect(nameRule(setting(), { name: 'vm1', uuid, existing: running }).message).toBe('vm1 is already running on hvB (same UUID).');
  });

  it("counts page cache as room only with a warning, on hvB's captured memory", () => {
    const hvB = val(parseNodeMemStats(fx('virsh/nodememstats-hvB.txt')));
    expect(memoryRule(setting(), { needKiB: vm1.definition.memoryKiB, destination: hvB }).status).toBe('pass');
    const tight = { totalKiB: 1048576, freeKiB: 65536, cachedKiB: 262144 };
    expect(memoryRule(setting(), { needKiB: 131072, destination: tight }).status).toBe('warn');
    expect(memoryRule(setting(), { needKiB: 131072, destination: { ...tight, cachedKiB: 32768 } }).message).toBe(
      'vm1 needs 128 MiB; hvB has 64 MiB free (+32 MiB page cache) of 1,024 MiB. Not enough memory.',
    );
  });
});

describe('the storage rule', () => {
  it("asks for vm1's kernel and initrd and passes when the destination has them", () => {
    expect(storagePlan(vm1.definition, {}).wanted.map((w) => w.what)).toEqual(['kernel', 'initrd']);
    // The lab's probe of hvB: kernel and initrd present (the first two answers).
    const states = val(parsePathProbe(fx('preflight/paths-hvB.txt'))).slice(0, 2);
    const v = storageRule(setting(), { definition: vm1.definition, states });
    expect(v.message).toBe('vm1 has no disks; kernel /var/tmp/ferry-lab/guest/vmlinuz, initrd /var/tmp/ferry-lab/guest/initrd.gz: all present on hvB.');
  });

  it('fails a missing image unless it is copied, which leaves nothing to ask for', () => {
    const disk = { device: 'disk', target: 'vda', kind: 'file', path: '/var/lib/libvirt/images/nosuch.qcow2', readonly: false, shareable: false } as const;
    const { kernel: _k, initrd: _i, ...rest } = vm1.definition;
    const definition = { ...rest, disks: [disk] };
    const v = storageRule(setting(), { definition, states: ['missing'] });
    expect(v).toMatchObject({ status: 'fail', detail: '/var/lib/libvirt/images/nosuch.qcow2: missing' });
    expect(v.fix).toMatch(/--copy-storage-all/);
    expect(storagePlan(definition, { copyStorageAll: true }).wanted).toEqual([]);
    expect(storageRule(setting({ copyStorageAll: true }), { definition, states: [] }).message).toContain('will be copied (--copy-storage-all)');
  });
});

describe('the ports rule', () => {
  const conf = val(parseQemuConf(fx('preflight/qemu-conf-hvB.txt')));
  it("probes hvB's whole range and libvirt's ports, and passes the lab's refused answers", () => {
    const plan = portPlan(conf, setting());
    expect([plan.min, plan.max, plan.target, plan.ports.length]).toEqual([49152, 49215, '10.77.0.12', 66]);
    const v = portsRule(setting(), { conf, probes: val(parsePortProbe(fx('preflight/ports-range-hvA-to-hvB.txt'))) });
    expect(v.status).toBe('pass');
    expect(v.message).toMatch(/^From hvA to 10\.77\.0\.12: migration ports \(49152-49215\) 49152-49215 refused/);
  });

  it('fails timed-out migration ports as overridable, and only warns with --tunnelled', () => {
    const probes = portPlan(conf, setting()).ports.map((port) => ({ port, state: 'timeout' as const }));
    const v = portsRule(setting(), { conf, probes });
    expect(v).toMatchObject({ status: 'fail', overridable: true, fix: 'Allow TCP 49152-49215 from 10.77.0.11 to 10.77.0.12 in the firewalls between them (and on hvB).' });
    expect(portsRule(setting({ tunnelled: true }), { conf, probes }).status).toBe('warn');
  });

  it('probes the host and port of a tcp:// migrate URI', () => {
    const plan = portPlan(conf, setting({ migrateUri: 'tcp://10.77.2.12:49300' }));
    expect(plan.target).toBe('10.77.2.12');
    expect(plan.ports).toContain(49300);
  });
});

describe('the MTU rule', () => {
  const side = (route: string, link: string): LinkSide => {
    const r = val(parseIpRouteGet(fx(route)));
    const l = val(parseIpLink(fx(link)))[0];
    if (!l) throw new Error('no link');
    return { dev: r.dev, mtu: l.mtu, ...(r.prefsrc !== undefined ? { prefsrc: r.prefsrc } : {}) };
  };
  const a = side('ip/route-get-direct.txt', 'ip/link-detail-eth0.txt');
  const b = side('ip/route-get-hvB-to-hvA.txt', 'ip/link-detail-eth0-hvB.txt');

  it('passes equal MTUs and says when the path itself could not be probed', () => {
    const v = mtuRule(setting(), { toward: '10.77.0.12', back: '10.77.0.11', source: a, destination: b, path: { flags: [], unavailable: 'tracepath is missing' } });
    expect(v.status).toBe('pass');
    expect(v.message).toBe(
      'hvA reaches 10.77.0.12 through eth0 (MTU 9000); hvB reaches 10.77.0.11 through eth0 (MTU 9000). Both ends use MTU 9000. (The path itself could not be probed: tracepath is missing)',
    );
  });

  it('warns about different MTUs with both values', () => {
    const v = mtuRule(setting(), { toward: '10.77.0.12', back: '10.77.0.11', source: a, destination: { ...b, mtu: 1500 }, path: { flags: [] } });
    expect(v.status).toBe('warn');
    expect(v.message).toContain('The MTUs differ (9000 vs 1500)');
  });

  it("returns to the source's address on the migration network when the data takes one", () => {
    const s = setting({ migrateUri: 'tcp://10.77.2.12' });
    const toward = mtuTarget(s);
    expect(toward).toBe('10.77.2.12');
    expect(mtuReturnAddress(s, toward, side('ip/route-get-hvA-to-mig-hvB.txt', 'ip/link-detail-mig0-hvA.txt'))).toBe('10.77.2.11');
    expect(mtuReturnAddress(setting(), '10.77.0.12', a)).toBe('10.77.0.11');
  });
});

describe('the TLS and RDMA rules', () => {
  const conf = val(parseQemuConf(fx('preflight/qemu-conf-hvB.txt')));
  const present = (n: number) => ['directory' as const, ...Array.from({ length: n }, () => 'present' as const)];
  const files = { chosen: true as const, sourceConf: conf, destinationConf: conf, sourceStates: present(3), destinationStates: present(3) };

  it('is skipped when TLS is not chosen', () => {
    expect(tlsRule(setting(), { chosen: false }).status).toBe('skipped');
  });

  it('names a missing file with its host and directory', () => {
    const f: TlsFacts = { ...files, destinationStates: ['directory', 'present', 'present', 'missing'] };
    const v = tlsRule(setting({ tls: true }), f);
    expect(v.message).toBe('server-key.pem is missing on hvB (in /var/tmp/ferry-lab/hosts/hvB/pki).');
    expect(tlsFiles(conf, TLS_CLIENT_FILES)[1]).toBe('/var/tmp/ferry-lab/hosts/hvB/pki/ca-cert.pem');
  });

  it("fails on the certificates' problems, warns on their warnings, passes with their facts", () => {
    const with_ = (problems: string[], warnings: string[]) => tlsRule(setting({ tls: true }), { ...files, certificates: { problems, warnings, facts: ['server certificate valid'] } });
    expect(with_(['server-cert.pem on hvB expired.'], []).status).toBe('fail');
    expect(with_([], ['covers hvB but not 10.77.0.12.']).status).toBe('warn');
    expect(with_([], []).message).toMatch(/^All TLS files present .*server certificate valid; issued by the CA both hosts trust\.$/);
  });

  it("fails RDMA on the lab's kernel without InfiniBand, naming the device, URI and hard limit", () => {
    const lab = val(parseRdmaProbe(fx('preflight/rdma-hvA.txt')));
    const v = rdmaRule(setting({ rdmaPinAll: true }), { chosen: true, source: lab, destination: lab });
    expect(v.status).toBe('fail');
    expect(v.message).toContain('no RDMA device on hvB (/sys/class/infiniband is empty or absent; CONFIG_INFINIBAND is not set');
    expect(v.message).toContain('the migrate URI is not set, not rdma://10.77.0.12');
    expect(v.message).toContain('no memory hard limit');
    expect(rdmaRule(setting(), { chosen: false }).status).toBe('skipped');
  });
});

describe('results without facts', () => {
  it('skips the memory-transfer checks of an offline migration and no other', () => {
    const s = setting({ offline: true, persistent: true });
    expect(offlineSkip('ports', s)?.status).toBe('skipped');
    expect(offlineSkip('state', s)).toBeUndefined();
    expect(offlineSkip('ports', setting())).toBeUndefined();
  });

  it('lets an admin override a check that ran out of time or a command that timed out, not a refusal', () => {
    expect(timedOut(300)).toMatchObject({ message: 'The check did not finish within 300 ms.', overridable: true });
    expect(timedOut(20_000).message).toBe('The check did not finish within 20 s.');
    expect(couldNotCheck(ferryError('command.timeout', 'virsh took too long')).overridable).toBe(true);
    expect(couldNotCheck(ferryError('libvirt.no-domain', 'no vm1')).overridable).toBeUndefined();
  });

  it('gives the result its id and title', () => {
    expect(judgeCheck('name', setting(), { name: 'vm1', uuid: vm1.definition.uuid })).toMatchObject({ check: 'name', title: 'Name on the destination', status: 'pass' });
  });
});
