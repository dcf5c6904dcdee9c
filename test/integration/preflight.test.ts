// Pre-flight checks on the lab, through the same SSH core Ferry uses: hvA -> hvB passes everything (TLS chosen),
// hvA -> hvC warns about the 9000/1500 MTUs, a TLS file moved away on hvB is named with its host, RDMA chosen fails
// for the missing device and hard limit, and hvC's libvirtd stopped makes the p2p check fail with libvirt's text.
// Every lab change is undone in finally.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { lab, requireLab } from '../lab/use-lab';
import { hx, labHost, labRun, virsh, vmReset, type HostName } from '../lab/lab';
import { SshPool } from '../../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { execRunner } from '../../electron/main/remote/ssh-runner';
import {
  preflightPassed,
  runPreflight,
  type PreflightCheckId,
  type PreflightHost,
  type PreflightInput,
  type PreflightResult,
} from '../../electron/main/migration/preflight';

function byId(results: readonly PreflightResult[]): Record<PreflightCheckId, PreflightResult> {
  return Object.fromEntries(results.map((r) => [r.check, r])) as Record<PreflightCheckId, PreflightResult>;
}

const explain = (results: readonly PreflightResult[]): string => results.map((r) => `${r.check}: ${r.status}: ${r.message}`).join('\n');

describe.skipIf(!lab)('pre-flight checks on the lab', () => {
  let pool: SshPool;
  const host = (name: HostName): PreflightHost => {
    const h = labHost(requireLab(), name);
    return { target: { host: h.ip, user: h.user, port: h.port }, name, address: h.ip };
  };
  const input = (dest: HostName, options: PreflightInput['options']): PreflightInput => ({
    vm: 'vm1',
    source: host('hvA'),
    destination: host(dest),
    options,
  });
  const run = (i: PreflightInput) => runPreflight(i, { hosts: { exec: (h) => execRunner(pool, h.target) } });

  beforeAll(async () => {
    const l = requireLab();
    // vm1 must be running on hvA; only reset when it is not (other suites share the lab).
    const onA = await virsh('hvA', ['list', '--name']).catch(() => '');
    if (!onA.split('\n').includes('vm1')) await vmReset();
    const key = readFileSync(l.clientKey);
    pool = new SshPool({ knownHosts: fileKnownHostsStore(l.knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
  });

  afterAll(async () => {
    await pool?.dispose();
  });

  it('passes every check from hvA to hvB with TLS chosen, RDMA skipped, all within a few seconds', async () => {
    const started = Date.now();
    const results = await run(input('hvB', { p2p: true, tls: true }));
    const took = Date.now() - started;
    const r = byId(results);
    expect(results.map((x) => x.check).sort()).toEqual(['cpu', 'memory', 'mtu', 'name', 'p2p', 'ports', 'rdma', 'state', 'storage', 'tls', 'versions']);
    for (const id of ['state', 'p2p', 'versions', 'cpu', 'name', 'memory', 'storage', 'ports', 'mtu', 'tls'] as const) {
      expect(r[id].status, explain(results)).toBe('pass');
    }
    expect(r.rdma.status).toBe('skipped');
    expect(preflightPassed(results)).toBe(true);
    expect(r.cpu.message).toMatch(/superset/);
    expect(r.storage.message).toMatch(/no disks/);
    expect(r.ports.message).toMatch(/migration ports \(49152-49215\) 49152-49215 refused; libvirt TCP\/TLS 16509, 16514 refused\./);
    expect(r.mtu.message).toMatch(/MTU 9000/);
    expect(r.tls.message).toMatch(/DNS:hvB/);
    expect(took).toBeLessThan(10_000);
  });

  it('warns about the MTUs from hvA (9000) to hvC (1500, behind the router)', async () => {
    const results = await run(input('hvC', { p2p: true }));
    const r = byId(results);
    expect(r.mtu.status, explain(results)).toBe('warn');
    expect(r.mtu.message).toMatch(/9000 vs 1500/);
    expect(r.mtu.message).toMatch(/via 10\.77\.0\.1/);
    expect(r.p2p.status).toBe('pass');
    expect(r.tls.status).toBe('skipped');
  });

  it("checks the return path from hvB to hvA's migration-network address with --migrateuri tcp://10.77.2.12", async () => {
    const results = await run(input('hvB', { p2p: true, migrateUri: 'tcp://10.77.2.12' }));
    const r = byId(results);
    expect(r.mtu.status, explain(results)).toBe('pass');
    expect(r.mtu.message).toContain('hvA reaches 10.77.2.12 through mig0 (MTU 9000');
    expect(r.mtu.message).toContain('hvB reaches 10.77.2.11 through mig0 (MTU 9000');
    expect(r.mtu.message).not.toContain('hvB reaches 10.77.0.11');
  });

  it('names the TLS file that is missing and the host it is missing on', async () => {
    const dir = `${requireLab().dir}/hosts/hvB/pki`;
    const moved = `${dir}/server-cert.pem.ferry-preflight-test`;
    await labRun(['hx', 'hvB', 'mv', `${dir}/server-cert.pem`, moved]);
    try {
      const results = await run(input('hvB', { p2p: true, tls: true }));
      const r = byId(results);
      expect(r.tls.status, explain(results)).toBe('fail');
      expect(r.tls.message).toContain(`server-cert.pem is missing on hvB (in ${dir})`);
      expect(r.tls.fix).toMatch(/migrate_tls_x509_cert_dir/);
      // The other checks still answer.
      expect(r.p2p.status).toBe('pass');
      expect(r.mtu.status).toBe('pass');
    } finally {
      await labRun(['hx', 'hvB', 'mv', moved, `${dir}/server-cert.pem`]);
    }
    expect((await hx('hvB', ['test', '-f', `${dir}/server-cert.pem`])).code).toBe(0);
  });

  it('fails RDMA for the missing devices, the URI and the missing memory hard limit', async () => {
    const results = await run(input('hvB', { p2p: true, rdmaPinAll: true }));
    const r = byId(results);
    expect(r.rdma.status, explain(results)).toBe('fail');
    expect(r.rdma.message).toContain('no RDMA device on hvA');
    expect(r.rdma.message).toContain('no RDMA device on hvB');
    expect(r.rdma.message).toContain('CONFIG_INFINIBAND is not set');
    expect(r.rdma.message).toContain('cannot start RDMA migration with no memory hard limit set');
    expect(r.rdma.message).toContain('not rdma://10.77.0.12');
  });

  it("fails the p2p check with libvirt's own text when the destination's libvirtd is stopped", async () => {
    await labRun(['stop', 'libvirtd', 'hvC']);
    try {
      const results = await run(input('hvC', { p2p: true }));
      const r = byId(results);
      expect(r.p2p.status, explain(results)).toBe('fail');
      expect(r.p2p.message).toMatch(/libvirtd is not running on the destination/);
      expect(r.p2p.message).toMatch(/virt-ssh-helper: cannot connect/);
      expect(r.p2p.detail).toMatch(/libvirt-sock/);
      // Everything that does not need hvC's libvirtd still answers.
      expect(r.mtu.status).toBe('warn');
      expect(r.ports.status).toBe('pass');
      expect(preflightPassed(results)).toBe(false);
    } finally {
      await labRun(['start', 'libvirtd', 'hvC']);
    }
  });
});
