// The host readiness audit and the troubleshooting panel on the lab, through the same SSH core and handlers Ferry
// uses (electron/main/network/audit-handlers.ts): hvA audited towards hvB with vm1. vm1's lab definition is diskless,
// so the scratch USB disk of test/lab/audit-disk.sh is hot-plugged for the storage check and always taken out again.
// Nothing else on the hosts is changed: the audit only reads.
// Run under the lab lock: flock /var/tmp/ferry-lab.lock npx vitest run --project integration test/integration/host-audit.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { lab } from '../lab/use-lab';
import { virsh, vmReset } from '../lab/lab';
import type { SshPool } from '../../electron/main/ssh/pool';
import { auditHandlers, type AuditHandlers } from '../../electron/main/network/audit-handlers';
import { labHostView, labNetworkDeps, labPool, must } from './lab-network';
import type { HostAudit } from '../../shared/audit/types';
import { bandwidthDelayProduct } from '../../shared/audit/tcp-buffers';

const caller = { clientId: 'test', transport: 'web' as const };
const DISK = join(__dirname, '..', 'lab', 'audit-disk.sh');

const show = (a: HostAudit) => a.findings.map((f) => `${f.status.padEnd(11)} ${f.id}: ${f.message}`).join('\n');

describe.skipIf(!lab)('host readiness audit on the lab (hvA towards hvB, vm1)', () => {
  let pool: SshPool;
  let h: AuditHandlers;
  let audit: HostAudit;

  beforeAll(async () => {
    const onA = await virsh('hvA', ['list', '--name']).catch(() => '');
    if (!onA.split('\n').includes('vm1')) await vmReset();
    execFileSync('bash', [DISK, 'attach', 'hvA', 'vm1'], { stdio: 'pipe' });
    pool = labPool();
    h = auditHandlers(labNetworkDeps(pool, [labHostView('hvA'), labHostView('hvB'), labHostView('hvC')], '/nonexistent-ferry-audit-it'));
    audit = must(await h['ferry.audit.host']({ hostId: 'lab-hvA', peerHostId: 'lab-hvB', vm: 'vm1' }, caller));
    console.log(`hvA audit (${audit.durationMs.toFixed(0)} ms), figures ${JSON.stringify(audit.figures)}\n${show(audit)}`);
  });

  afterAll(async () => {
    if (lab) execFileSync('bash', [DISK, 'detach', 'hvA', 'vm1'], { stdio: 'pipe' });
    await pool?.dispose();
  });

  const byId = (id: string) => {
    const f = audit.findings.find((x) => x.id === id);
    if (!f) throw new Error(`no finding ${id} in:\n${show(audit)}`);
    return f;
  };

  it('reads every check: no finding is "not checked"', () => {
    expect(audit.findings.filter((f) => f.message.startsWith('Not checked')).map((f) => f.id)).toEqual([]);
    expect(audit.nics).toEqual(['eth0', 'mig0']);
    expect(audit.skipped).toEqual([]);
  });

  it('shows veth rings as not supported by the driver, and reads the offloads', () => {
    for (const nic of ['eth0', 'mig0']) {
      const rings = byId(`nic-rings:${nic}`);
      expect(rings.status).toBe('unsupported');
      expect(rings.message).toBe(`${nic}: ring sizes are not supported by this driver (veth); there is nothing to tune.`);
      expect(byId(`nic-offloads:${nic}`).message).toMatch(new RegExp(`^${nic}: GRO (on|off), GSO (on|off), TSO (on|off)`));
      expect(byId(`nic-driver:${nic}`).message).toMatch(/driver veth/);
    }
  });

  it('compares the TCP buffer sysctls with the BDP of a measured RTT to hvB on the migration network', () => {
    const f = audit.figures;
    expect(f.rttTarget).toBe('10.77.2.12');
    expect(f.linkNic).toBe('mig0');
    expect(f.linkMbps).toBe(10_000);
    expect(f.rttMs).toBeGreaterThan(0);
    expect(f.bdpBytes).toBe(bandwidthDelayProduct(10_000, f.rttMs ?? NaN));
    const tcp = audit.findings.filter((x) => x.concern === 'tcp-buffers');
    expect(tcp.map((x) => x.subject)).toEqual(['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.core.rmem_max', 'net.core.wmem_max']);
    for (const t of tcp) expect(t.message).toContain(`ms RTT to 10.77.2.12)`);
  });

  it('finds no bonds and no time sync service on the lab', () => {
    expect(audit.findings.filter((x) => x.concern === 'bonding').map((x) => [x.status, x.message])).toEqual([
      ['pass', 'No bonds: the bonding driver is not loaded on this host (no /proc/net/bonding).'],
    ]);
    const clock = byId('clock:host');
    expect(clock.status).toBe('warn');
    expect(clock.message).toMatch(/^No time sync service found/);
  });

  it('detects the migration network: the default shares eth0, the migrateuri should name hvB\'s mig0 address', () => {
    const f = byId('migration-network:hvB');
    expect(f.status).toBe('warn');
    expect(f.message).toContain('normally 10.77.0.12, which this host reaches via eth0, the management link');
    expect(f.message).toContain("hvB's 10.77.2.12 (mig0) is reached via mig0, directly");
    expect(f.fix).toContain("--migrateuri 'tcp://10.77.2.12'");
  });

  it('reads vm1\'s vCPU and emulator pinning against hvA\'s CPUs', () => {
    const f = byId('cpu-pinning:vm1');
    expect(f.message).toMatch(/^Host CPUs 0-\d+ \(\d+\); vm1: vCPU 0 -> [0-9,-]+; emulator threads -> [0-9,-]+\./);
    expect(['pass', 'warn']).toContain(f.status);
  });

  it('gives storage latency figures for the device behind vm1\'s disk', () => {
    const f = byId('storage-latency:vm1/sdb');
    expect(f.message).toMatch(/^\/var\/tmp\/ferry-lab\/audit-disk\.img on \/dev\/\S+ \(\S+, mounted at \S+\), device \S+: await (- \(no I\/O completed in the interval\)|\d+\.\d\d ms over \d+ I\/Os), utilisation \d+\.\d % over \d\.\d\d s\./);
    expect(['pass', 'warn']).toContain(f.status);
  });

  it('shows vm1\'s QEMU log tail and the NIC lines of the kernel log for troubleshooting', async () => {
    const r = must(await h['ferry.audit.troubleshoot']({ hostId: 'lab-hvA', vm: 'vm1' }, caller));
    const log = r.log;
    expect(log?.ok).toBe(true);
    if (!log?.ok) return;
    expect(log.value.path).toBe('/var/log/libvirt/qemu/vm1.log');
    expect(log.value.exists).toBe(true);
    expect(log.value.lines.length).toBeGreaterThan(0);
    expect(log.value.lines.join('\n')).toMatch(/qemu-system-x86_64|guest=vm1/);
    expect(r.nicErrors.ok && r.nicErrors.value.nics).toEqual(['eth0', 'mig0']);
    expect(r.failedMigration).toEqual({ ok: true, value: null });
  });

  it('audits hvC (behind the router, eth0 only) towards hvA: no dedicated migration network, RTT through the router', async () => {
    const c = must(await h['ferry.audit.host']({ hostId: 'lab-hvC', peerHostId: 'lab-hvA' }, caller));
    console.log(`hvC audit (${c.durationMs.toFixed(0)} ms), figures ${JSON.stringify(c.figures)}\n${show(c)}`);
    expect(c.nics).toEqual(['eth0']);
    const net = c.findings.find((f) => f.id === 'migration-network:hvA');
    expect(net?.status).toBe('warn');
    expect(net?.message).toContain('normally 10.77.0.11, which this host reaches via eth0, the management link');
    expect(net?.fix).toMatch(/^Give both hosts an address on a separate network/);
    expect(c.figures.rttTarget).toBe('10.77.0.11');
    expect(c.figures.linkNic).toBe('eth0');
    expect(c.findings.filter((f) => f.concern === 'tcp-buffers')).toHaveLength(4);
  });

  it('answers a name that was never a domain on hvA with "no log", not an error', async () => {
    const r = must(await h['ferry.audit.troubleshoot']({ hostId: 'lab-hvA', vm: 'no-such-vm' }, caller));
    expect(r.log?.ok && r.log.value.exists).toBe(false);
  });
});
