/**
 * runPreflight with a fake `exec` that answers each command with a real lab capture (test/fixtures) or, for the
 * situations the lab cannot show, a hand-written variant of one. Checks the verdicts, that one failing or hanging
 * check does not hide the others, and what each message and fix says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, err, type Result } from '../../shared/result';
import { ferryError, type FerryError } from '../../shared/errors';
import {
  runPreflight,
  preflightPassed,
  type PreflightCheckId,
  type PreflightDeps,
  type PreflightHost,
  type PreflightInput,
  type PreflightResult,
} from '../../electron/main/migration/preflight';
import type { CommandRunner, RunOptions, RunOutput } from '../../electron/main/remote/run-command';
import type { SshTarget } from '../../electron/main/ssh/errors';

const FIX = join(__dirname, '..', 'fixtures');
const fx = (p: string): string => readFileSync(join(FIX, p), 'utf8');

const A = { target: { host: '10.77.0.11', user: 'root' }, name: 'hvA', address: '10.77.0.11' };
const B = { target: { host: '10.77.0.12', user: 'root' }, name: 'hvB', address: '10.77.0.12' };

/** What the lab hosts answer (hvA source, hvB destination), keyed by host and a test on the argv. */
type Answer = string | Error | 'hang' | { readonly stdout: string; readonly exitCode: number };
interface Rule {
  readonly host: string;
  readonly when: (argv: readonly string[]) => boolean;
  readonly answer: Answer;
}

const has = (...words: string[]) => (argv: readonly string[]) => words.every((w) => argv.includes(w));
const script = (marker: string) => (argv: readonly string[]) => argv.some((a) => a === marker);

function labRules(): Rule[] {
  return [
    { host: 'hvA', when: (a) => a.some((x) => x.startsWith('qemu+ssh://')), answer: fx('virsh/version-p2p-hvB.txt') },
    { host: '*', when: has('version'), answer: fx('virsh/version.txt') },
    { host: 'hvA', when: has('dumpxml'), answer: fx('virsh/dumpxml-migratable-vm1.txt') },
    { host: 'hvB', when: has('hypervisor-cpu-compare'), answer: fx('virsh/hypervisor-cpu-compare-superset.txt') },
    { host: 'hvB', when: has('dominfo'), answer: fx('virsh/dominfo-error-no-domain.txt') },
    { host: 'hvA', when: has('dominfo', 'vm1'), answer: fx('virsh/dominfo-running.txt') },
    { host: 'hvB', when: has('nodememstats'), answer: fx('virsh/nodememstats-hvB.txt') },
    { host: 'hvB', when: script('ferry-path-probe'), answer: '' }, // replaced per call below
    { host: 'hvA', when: script('ferry-port-probe'), answer: fx('preflight/ports-range-hvA-to-hvB.txt') },
    { host: 'hvA', when: has('route', '10.77.0.12'), answer: fx('ip/route-get-direct.txt') },
    { host: 'hvB', when: has('route', '10.77.0.11'), answer: fx('ip/route-get-hvB-to-hvA.txt') },
    { host: 'hvA', when: has('link', 'eth0'), answer: fx('ip/link-detail-eth0.txt') },
    { host: 'hvB', when: has('link', 'eth0'), answer: fx('ip/link-detail-eth0-hvB.txt') },
    { host: '*', when: has('/etc/libvirt/qemu.conf'), answer: fx('preflight/qemu-conf-hvB.txt') },
    { host: 'hvB', when: (a) => a.some((x) => x.endsWith('/server-cert.pem')), answer: fx('preflight/cert-server-hvB.txt') },
    { host: 'hvB', when: (a) => a.some((x) => x.endsWith('/ca-cert.pem')), answer: fx('preflight/cert-ca-hvB.txt') },
    { host: 'hvA', when: (a) => a.some((x) => x.endsWith('/ca-cert.pem')), answer: fx('preflight/cert-ca-hvA.txt') },
    { host: 'hvA', when: (a) => a.some((x) => x.endsWith('/client-cert.pem')), answer: fx('preflight/cert-client-hvA.txt') },
    { host: '*', when: (a) => a.includes('sh') && a.some((x) => x.includes('/sys/class/infiniband')), answer: fx('preflight/rdma-hvA.txt') },
  ];
}

const NAMES: Record<string, string> = { '10.77.0.11': 'hvA', '10.77.0.12': 'hvB' };

type FakeExec = ((target: SshTarget, argv: readonly string[], o: RunOptions) => Promise<Result<RunOutput, FerryError>>) & {
  calls: string[][];
  stdin: Map<string, string>;
};

/** Pre-flight's host access over a fake exec: each host's CommandRunner runs the argv on its target. */
const hostsOver = (exec: FakeExec): PreflightDeps['hosts'] => ({
  exec: (h: PreflightHost): CommandRunner => ({ run: (argv, o) => exec(h.target, argv, o) }),
});

/** A fake exec over the rules; the path probe answers "present" for everything unless `missing` names a path. */
function fakeExec(overrides: Rule[] = [], missing: readonly string[] = []): FakeExec {
  const rules = [...overrides, ...labRules()];
  const calls: string[][] = [];
  const stdin = new Map<string, string>();
  const exec = (target: SshTarget, argv: readonly string[], o: RunOptions): Promise<Result<RunOutput, FerryError>> => {
    const host = NAMES[target.host] ?? target.host;
    calls.push([host, ...argv]);
    if (o.stdin !== undefined) stdin.set(argv.join(' '), o.stdin);
    expect(argv.slice(0, 2)).toEqual(['env', 'LC_ALL=C']);
    const rule = rules.find((r) => (r.host === '*' || r.host === host) && r.when(argv));
    if (!rule) return Promise.resolve(err(ferryError('command.not-found', `no fake answer for ${host}: ${argv.join(' ')}`)));
    if (rule.answer === 'hang') {
      return new Promise((resolve) => o.signal?.addEventListener('abort', () => resolve(err(ferryError('command.cancelled', 'cancelled')))));
    }
    if (rule.answer instanceof Error) return Promise.resolve(err(ferryError('ssh.unreachable', rule.answer.message)));
    if (typeof rule.answer !== 'string') return Promise.resolve(ok({ stdout: rule.answer.stdout, stderr: '', exitCode: rule.answer.exitCode }));
    let stdout = rule.answer;
    if (argv.includes('ferry-path-probe')) {
      const paths = argv.slice(argv.indexOf('ferry-path-probe') + 1);
      stdout = paths
        .map((p, i) => `${i + 1} ${missing.includes(p) ? 'missing' : p.endsWith('/pki') || p.endsWith('/pki/') ? 'directory' : 'present'}\n`)
        .join('');
    }
    return Promise.resolve(ok({ stdout, stderr: '', exitCode: 0 }));
  };
  return Object.assign(exec, { calls, stdin });
}

const NOW = Date.parse('2026-11-25T11:00:00Z');

function input(options: PreflightInput['options'] = { p2p: true }): PreflightInput {
  return { vm: 'vm1', source: A, destination: B, options };
}

async function run(options: PreflightInput['options'], overrides: Rule[] = [], missing: string[] = [], extra: Partial<PreflightDeps> = {}) {
  const exec = fakeExec(overrides, missing);
  const results = await runPreflight(input(options), { hosts: hostsOver(exec), now: () => NOW, ...extra });
  const by = Object.fromEntries(results.map((r) => [r.check, r])) as Record<PreflightCheckId, PreflightResult>;
  return { results, by, calls: exec.calls, stdin: exec.stdin };
}

describe('runPreflight', () => {
  it('passes every check on the lab captures of hvA -> hvB with TLS chosen, and skips RDMA', async () => {
    const { results, by } = await run({ p2p: true, tls: true });
    expect(results.map((r) => r.check)).toEqual(['state', 'p2p', 'versions', 'cpu', 'name', 'memory', 'storage', 'ports', 'mtu', 'tls', 'rdma']);
    for (const r of results.filter((x) => x.check !== 'rdma')) expect(`${r.check}: ${r.status} ${r.message}`).toMatch(/: pass /);
    expect(by.rdma.status).toBe('skipped');
    expect(preflightPassed(results)).toBe(true);
    expect(by.p2p.message).toBe("hvA's libvirt connected to hvB over qemu+ssh://root@10.77.0.12/system (libvirt 9.0.0 there).");
    expect(by.memory.message).toMatch(/vm1 needs 128 MiB; hvB has 22,062 MiB free/);
    expect(by.tls.message).toMatch(/DNS:hvB, IP Address:10\.77\.0\.12/);
    expect(by.ports.message).toMatch(/"refused" \(the destination answered with a reset\) means reachable and not filtered/);
  });

  it('fetches the domain XML and each qemu.conf once, whatever number of checks need them', async () => {
    const { calls, stdin } = await run({ p2p: true, tls: true, rdmaPinAll: true });
    expect(calls.filter((c) => c.includes('dumpxml'))).toHaveLength(1);
    expect(calls.filter((c) => c[0] === 'hvB' && c.includes('/etc/libvirt/qemu.conf'))).toHaveLength(1);
    // The CPU comparison gets the XML on stdin, never in the argv.
    expect(calls.find((c) => c.includes('hypervisor-cpu-compare'))?.some((a) => a.includes('<domain'))).toBe(false);
    expect([...stdin].filter(([argv]) => argv.includes('hypervisor-cpu-compare')).map(([, text]) => text.trimStart().slice(0, 7))).toEqual(['<domain']);
  });

  it('fails the p2p check with the cause and libvirt\'s last words when the source ssh distrusts the destination key', async () => {
    const { by, results } = await run({ p2p: true }, [
      { host: 'hvA', when: (a) => a.some((x) => x.startsWith('qemu+ssh://')), answer: fx('virsh/version-p2p-error-host-key-changed.txt') },
    ]);
    expect(by.p2p.status).toBe('fail');
    expect(by.p2p.message).toMatch(/^The source's ssh refuses the destination's host key/);
    expect(by.p2p.message).toContain('Host key verification failed.: Connection reset by peer');
    expect(by.p2p.fix).toMatch(/known_hosts/);
    expect(by.p2p.detail).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    expect(results.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual(['p2p']);
  });

  it('answers every other check when one hangs past its budget', async () => {
    const started = Date.now();
    const { by } = await run({ p2p: true }, [{ host: 'hvB', when: has('nodememstats'), answer: 'hang' }], [], { checkTimeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(by.memory.status).toBe('fail');
    expect(by.memory.message).toBe('The check did not finish within 300 ms.');
    expect(by.memory.overridable).toBe(true);
    expect(by.cpu.status).toBe('pass');
    expect(by.mtu.status).toBe('pass');
  });

  it('reports an unreachable destination as a failed check with the transport error, not an exception', async () => {
    const { by } = await run({ p2p: true }, [{ host: 'hvB', when: () => true, answer: new Error('hvB: connect ECONNREFUSED') }]);
    for (const id of ['versions', 'cpu', 'name', 'memory', 'storage', 'mtu'] as const) {
      expect(by[id].status).toBe('fail');
      expect(by[id].message).toBe('Could not check: hvB: connect ECONNREFUSED');
    }
    expect(by.p2p.status).toBe('pass');
    expect(by.ports.status).toBe('pass');
  });

  it("judges cat's exit status: an unreadable qemu.conf leaves the default ports probed and the TLS check undecided", async () => {
    const denied = { stdout: 'cat: /etc/libvirt/qemu.conf: Permission denied\n', exitCode: 1 };
    const { by, calls } = await run({ p2p: true, tls: true }, [{ host: 'hvB', when: has('/etc/libvirt/qemu.conf'), answer: denied }]);
    expect(by.tls.status).toBe('fail');
    expect(by.tls.message).toBe('Could not check: /etc/libvirt/qemu.conf could not be read (cat exited 1: /etc/libvirt/qemu.conf: Permission denied).');
    expect(calls.some((c) => c[0] === 'hvB' && c.includes('ferry-path-probe') && c.some((x) => x.endsWith('/server-key.pem')))).toBe(false);
    expect(by.ports.status).toBe('pass');
    expect(by.ports.message).toContain('migration ports (49152-49215)');
  });

  it('fails the CPU check with the features the destination lacks', async () => {
    const { by } = await run({}, [{ host: 'hvB', when: has('hypervisor-cpu-compare'), answer: fx('virsh/hypervisor-cpu-compare-incompatible-kvm.txt') }]);
    expect(by.cpu.status).toBe('fail');
    expect(by.cpu.message).toContain('Host CPU does not provide required features: pni, svm');
  });

  it('fails a name taken by another UUID and warns about an inactive copy of the same domain', async () => {
    const other = await run({}, [{ host: 'hvB', when: has('dominfo'), answer: fx('virsh/dominfo-shut-off.txt') }]);
    expect(other.by.name.status).toBe('fail');
    expect(other.by.name.message).toMatch(/already has a domain named vm1 with another UUID/);
    const sameUuid = fx('virsh/dominfo-shut-off.txt').replace(/^UUID:.*$/m, 'UUID:           f3e7a001-0000-4000-8000-000000000001');
    const same = await run({}, [{ host: 'hvB', when: has('dominfo'), answer: sameUuid }]);
    expect(same.by.name.status).toBe('warn');
  });

  it('fails memory when the destination cannot hold the domain, warns when only page cache makes room', async () => {
    const stats = (free: number, cached: number) => `total  : 1048576 KiB\nfree   : ${free} KiB\nbuffers: 0 KiB\ncached : ${cached} KiB\n\n`;
    const tight = await run({}, [{ host: 'hvB', when: has('nodememstats'), answer: stats(65536, 32768) }]);
    expect(tight.by.memory.status).toBe('fail');
    expect(tight.by.memory.message).toBe('vm1 needs 128 MiB; hvB has 64 MiB free (+32 MiB page cache) of 1,024 MiB. Not enough memory.');
    const cache = await run({}, [{ host: 'hvB', when: has('nodememstats'), answer: stats(65536, 262144) }]);
    expect(cache.by.memory.status).toBe('warn');
  });

  it('fails storage naming a disk image missing on the destination unless copy-storage is chosen', async () => {
    const xml = fx('virsh/dumpxml-migratable-vm1.txt').replace(
      '<devices>',
      "<devices>\n    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/vm1.qcow2'/><target dev='vda' bus='virtio'/></disk>",
    );
    const over: Rule[] = [{ host: 'hvA', when: has('dumpxml'), answer: xml }];
    const shared = await run({}, over, ['/var/lib/libvirt/images/vm1.qcow2']);
    expect(shared.by.storage.status).toBe('fail');
    expect(shared.by.storage.message).toContain('missing on hvB: disk vda /var/lib/libvirt/images/vm1.qcow2');
    expect(shared.by.storage.fix).toMatch(/--copy-storage-all/);
    const copied = await run({ copyStorageAll: true }, over, ['/var/lib/libvirt/images/vm1.qcow2']);
    expect(copied.by.storage.status).toBe('pass');
    expect(copied.by.storage.message).toContain('will be copied (--copy-storage-all)');
  });

  it('fails the ports check when the migration ports time out (filtered), warns with --tunnelled', async () => {
    // Every probed port timed out (the probe answers for each port it was given: the whole range and 16509/16514).
    const timedOut = [...Array.from({ length: 64 }, (_, i) => 49152 + i), 16509, 16514].map((p) => `port ${p} rc 124 \n`).join('');
    const over: Rule[] = [{ host: 'hvA', when: script('ferry-port-probe'), answer: timedOut }];
    const direct = await run({ p2p: true }, over);
    expect(direct.by.ports.status).toBe('fail');
    expect(direct.by.ports.message).toMatch(/a timeout means a firewall drops the packets/);
    expect(direct.by.ports.fix).toBe('Allow TCP 49152-49215 from 10.77.0.11 to 10.77.0.12 in the firewalls between them (and on hvB).');
    expect(direct.by.ports.overridable).toBe(true);
    expect(direct.by.ports.message).toContain('migration ports (49152-49215) 49152-49215 timeout; libvirt TCP/TLS 16509, 16514 timeout.');
    const tunnelled = await run({ p2p: true, tunnelled: true }, over);
    expect(tunnelled.by.ports.status).toBe('warn');
  });

  it('probes the migrate URI host, not the management address, when one is given', async () => {
    const { calls } = await run({ p2p: true, migrateUri: 'tcp://10.77.2.12' }, [
      { host: 'hvA', when: has('route', '10.77.2.12'), answer: fx('ip/route-get-direct.txt') },
    ]);
    expect(calls.find((c) => c.includes('ferry-port-probe'))).toContain('10.77.2.12');
  });

  it('warns when the two ends use different MTUs, with both values', async () => {
    const link1500 = fx('ip/link-detail-eth0-hvB.txt').replace('"mtu":9000', '"mtu":1500');
    const { by } = await run({}, [{ host: 'hvB', when: has('link', 'eth0'), answer: link1500 }]);
    expect(by.mtu.status).toBe('warn');
    expect(by.mtu.message).toMatch(/The MTUs differ \(9000 vs 1500\)/);
  });

  it('names the missing TLS file and its host', async () => {
    const { by } = await run({ tls: true }, [], ['/var/tmp/ferry-lab/hosts/hvB/pki/server-key.pem']);
    expect(by.tls.status).toBe('fail');
    expect(by.tls.message).toBe('server-key.pem is missing on hvB (in /var/tmp/ferry-lab/hosts/hvB/pki).');
  });

  it('fails TLS for an expired certificate and for a destination name the certificate does not carry', async () => {
    const later = await run({ tls: true }, [], [], { now: () => Date.parse('2040-01-01T00:00:00Z') });
    expect(later.by.tls.status).toBe('fail');
    expect(later.by.tls.message).toMatch(/server-cert\.pem on hvB expired on Nov 22 09:15:02 2036 GMT/);
    const named = await run({ tls: true, tlsDestination: 'hvZ.example' });
    expect(named.by.tls.status).toBe('fail');
    expect(named.by.tls.message).toMatch(/is not valid for hvZ\.example \(it names DNS:hvB/);
  });

  it('fails TLS when the server certificate was not issued by the CA the hosts trust', async () => {
    // hvA's client certificate is no CA: standing in as "ca-cert.pem" on hvB it issues nothing.
    const { by } = await run({ tls: true }, [{ host: 'hvB', when: (a) => a.some((x) => x.endsWith('/ca-cert.pem')), answer: fx('preflight/cert-client-hvA.txt') }]);
    expect(by.tls.status).toBe('fail');
    expect(by.tls.message).toMatch(/not issued by the CA in its own ca-cert\.pem/);
  });

  it('fails RDMA for the devices, the URI and the hard limit, and passes the hard limit when one is set', async () => {
    const { by } = await run({ rdmaPinAll: true });
    expect(by.rdma.status).toBe('fail');
    expect(by.rdma.message).toContain('no RDMA device on hvA (/sys/class/infiniband is empty or absent; CONFIG_INFINIBAND is not set in its kernel 6.18.44-fc-v657)');
    expect(by.rdma.message).toContain('cannot start RDMA migration with no memory hard limit set');
    const limited = fx('virsh/dumpxml-migratable-vm1.txt').replace('<vcpu', "<memtune><hard_limit unit='KiB'>1048576</hard_limit></memtune>\n  <vcpu");
    const withLimit = await run({ rdmaPinAll: true, migrateUri: 'rdma://10.77.0.12' }, [{ host: 'hvA', when: has('dumpxml'), answer: limited }]);
    expect(withLimit.by.rdma.message).not.toContain('hard limit');
    expect(withLimit.by.rdma.message).not.toContain('migrate URI');
    expect(withLimit.by.rdma.message).toContain('no RDMA device on hvB');
  });
});

describe('pre-flight: what a migration needs of the VM itself', () => {
  const shutOff = fx('virsh/dominfo-shut-off.txt');
  it('fails a live migration of a shut-off persistent VM, certain, and offers --offline', async () => {
    const { by, results } = await run({ live: true, p2p: true }, [{ host: 'hvA', when: has('dominfo', 'vm1'), answer: shutOff }]);
    expect(by.state.status).toBe('fail');
    expect(by.state.message).toBe('vm1 is shut off on hvA: a live migration moves a running guest (libvirt refuses: "Requested operation is not valid: domain is not running").');
    expect(by.state.remedy).toBe('offline');
    expect(by.state.overridable).toBeUndefined();
    expect(results.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual(['state']);
  });

  it('fails a VM the source does not have, certain', async () => {
    const { by } = await run({ live: true }, [{ host: 'hvA', when: has('dominfo', 'vm1'), answer: fx('virsh/dominfo-error-no-domain.txt') }]);
    expect(by.state.status).toBe('fail');
    expect(by.state.message).toBe('hvA has no domain named vm1: there is nothing to migrate.');
    expect(by.state.overridable).toBeUndefined();
  });

  it('passes --offline for the shut-off VM and skips the checks of a memory transfer', async () => {
    const { by } = await run({ offline: true, persistent: true, p2p: true }, [{ host: 'hvA', when: has('dominfo', 'vm1'), answer: shutOff }]);
    expect(by.state.status).toBe('pass');
    for (const id of ['memory', 'ports', 'mtu', 'tls', 'rdma'] as const) expect(by[id].status).toBe('skipped');
    expect(by.p2p.status).toBe('pass');
  });

  it('warns that --offline leaves a running VM running on the source', async () => {
    const { by } = await run({ offline: true, persistent: true, p2p: true });
    expect(by.state.status).toBe('warn');
    expect(by.state.message).toMatch(/keeps running on hvA/);
  });
});

describe('pre-flight: addresses', () => {
  it("connects the p2p check to the destination's SSH port when it is not 22", async () => {
    const exec = fakeExec();
    const results = await runPreflight({ ...input({ p2p: true }), destination: { ...B, target: { ...B.target, port: 2222 } } }, { hosts: hostsOver(exec), now: () => NOW });
    expect(results.find((r) => r.check === 'p2p')?.message).toBe("hvA's libvirt connected to hvB over qemu+ssh://root@10.77.0.12:2222/system (libvirt 9.0.0 there).");
    expect(exec.calls.find((c) => c.some((x) => x.startsWith('qemu+ssh://')))).toContain('qemu+ssh://root@10.77.0.12:2222/system?no_tty=1');
  });

  it("checks the return path to the source's address on the migration network, found from the source's route", async () => {
    const { by, calls } = await run({ p2p: true, migrateUri: 'tcp://10.77.2.12' }, [
      { host: 'hvA', when: has('route', '10.77.2.12'), answer: fx('ip/route-get-hvA-to-mig-hvB.txt') },
      { host: 'hvB', when: has('route', '10.77.2.11'), answer: fx('ip/route-get-hvB-to-mig-hvA.txt') },
      { host: 'hvA', when: has('link', 'mig0'), answer: fx('ip/link-detail-mig0-hvA.txt') },
      { host: 'hvB', when: has('link', 'mig0'), answer: fx('ip/link-detail-mig0-hvB.txt') },
    ]);
    expect(calls.filter((c) => c[0] === 'hvB' && c.includes('route')).map((c) => c.at(-1))).toEqual(['10.77.2.11']);
    expect(by.mtu.message).toContain('hvB reaches 10.77.2.11 through mig0');
  });
});
