/**
 * The audit's orchestration in main (electron/main/network/audit-host.ts, audit-troubleshoot.ts) against a runner
 * that answers each argv with the lab capture of that very command: which commands run, in what combination, and
 * that a failing command or host becomes a finding instead of a failed audit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../../shared/result';
import { ferryError, type FerryError } from '../../shared/errors';
import type { HostView } from '../../shared/inventory/types';
import { BACKING_PROBE_SCRIPT, BONDING_PROBE_SCRIPT, CLOCK_PROBE_SCRIPT, DISKSTATS_PROBE_SCRIPT } from '../../shared/commands/audit';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';
import { runHostAudit, type AuditDeps } from '../../electron/main/network/audit-host';
import { runTroubleshoot } from '../../electron/main/network/audit-troubleshoot';
import { JOURNAL_FILE } from '../../electron/main/migration/journal';
import { hostAuditSchema } from '../../shared/audit/types';
import { troubleshootReportSchema } from '../../shared/audit/troubleshoot';

const fx = (tool: string, name: string) => readFileSync(join(__dirname, '..', 'fixtures', tool, `${name}.txt`), 'utf8');

type Answer = string | FerryError;

/** A runner that answers the argv Ferry builds (after `env LC_ALL=C`) from a table; anything else is a test bug. */
function fakeRunner(table: (argv: readonly string[]) => Answer | undefined, seen: string[][]): CommandRunner {
  return {
    async run(argv): Promise<Result<RunOutput, FerryError>> {
      const a = argv[0] === 'env' ? argv.slice(2) : argv;
      seen.push([...a]);
      const answer = table(a);
      if (answer === undefined) return err(ferryError('command.failed', `the fake runner has no answer for: ${a.join(' ')}`));
      return typeof answer === 'string' ? ok({ stdout: answer, stderr: '', exitCode: 0 }) : err(answer);
    },
  };
}

function hvA(argv: readonly string[]): Answer | undefined {
  const j = argv.join(' ');
  if (argv[0] === 'sh' && argv[1] === '-c') {
    return { [CLOCK_PROBE_SCRIPT]: fx('clock', 'probe-hvA-none'), [BONDING_PROBE_SCRIPT]: fx('bonding', 'probe-hvA-none'), [BACKING_PROBE_SCRIPT]: fx('storage', 'backing-file-and-block'), [DISKSTATS_PROBE_SCRIPT]: fx('storage', 'diskstats-hvA') }[argv[2] ?? ''];
  }
  const table: Record<string, string> = {
    'ip -j -d link show': fx('ip', 'link-detail-hvA'),
    'ip -j addr show': fx('ip', 'addr-hvA'),
    'ip -s -j link show': fx('ip', 'link-stats'),
    'sysctl net.ipv4.tcp_rmem net.ipv4.tcp_wmem net.core.rmem_max net.core.wmem_max': fx('sysctl', 'multi'),
    'dmesg -x': fx('dmesg', 'kernel-log-hvA'),
    'ip -j route get to 10.77.0.12': fx('ip', 'route-get-direct'),
    'ip -j route get to 10.77.2.12': fx('ip', 'route-get-hvA-to-hvB-migration-net'),
    'ping -n -c 5 -i 0.2 -W 1 -- 10.77.2.12': fx('ping', 'rtt-hvA-to-hvB-migration-net'),
    'virsh --connect qemu:///system vcpupin --domain vm1': fx('virsh', 'vcpupin-vm1'),
    'virsh --connect qemu:///system emulatorpin --domain vm1': fx('virsh', 'emulatorpin-vm1'),
    'virsh --connect qemu:///system nodeinfo': fx('virsh', 'nodeinfo'),
    'virsh --connect qemu:///system domblklist --domain vm1 --details': fx('virsh', 'domblklist-vm1-usb-disk'),
    'tail -n 200 -- /var/log/libvirt/qemu/vm1.log': fx('logs', 'qemu-log-vm1'),
  };
  for (const nic of ['eth0', 'mig0']) {
    table[`ethtool ${nic}`] = fx('ethtool', 'settings-veth');
    table[`ethtool -g ${nic}`] = fx('ethtool', 'ring-veth-unsupported');
    table[`ethtool -k ${nic}`] = fx('ethtool', 'features-veth');
    table[`ethtool -i ${nic}`] = fx('ethtool', 'driver-veth');
  }
  return table[j];
}

const hvB = (argv: readonly string[]): Answer | undefined => (argv.join(' ') === 'ip -j addr show' ? fx('ip', 'addr-hvB') : undefined);

function view(id: string, name: string, address: string): HostView {
  return {
    record: { id, name, address, port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: '2026-11-25T00:00:00.000Z', source: 'manual' },
    connection: { state: 'connected', since: '2026-11-25T00:00:00.000Z' },
  };
}

function deps(tables: Record<string, (argv: readonly string[]) => Answer | undefined>, seen: string[][] = []): AuditDeps & { dataDir: string } {
  const hosts: Record<string, HostView> = { a: view('a', 'hvA', '10.77.0.11'), b: view('b', 'hvB', '10.77.0.12') };
  let t = 0;
  return {
    access: (id) => {
      const h = hosts[id];
      const table = tables[id];
      return h && table ? ok({ host: h, runner: fakeRunner(table, seen) }) : err(ferryError('inventory.not-found', `No such host in the inventory: ${id}.`));
    },
    clock: { now: () => (t += 5), setTimeout: () => 0, clearTimeout: () => undefined },
    wallClock: () => 1_764_072_000_000,
    dataDir: '/nonexistent-ferry-audit-test',
  };
}

describe('ferry.audit.host on hvA (lab captures)', () => {
  it('audits hvA towards hvB with vm1: every check answered, none "not checked"', async () => {
    const seen: string[][] = [];
    const r = await runHostAudit(deps({ a: hvA, b: hvB }, seen), { hostId: 'a', peerHostId: 'b', vm: 'vm1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = r.value;
    expect(hostAuditSchema.safeParse(a).success).toBe(true);
    expect(a.findings.filter((f) => f.message.startsWith('Not checked')).map((f) => f.message)).toEqual([]);
    expect(a.nics).toEqual(['eth0', 'mig0']);
    const status = (id: string) => a.findings.find((f) => f.id === id)?.status;
    expect(status('nic-rings:eth0')).toBe('unsupported');
    expect(status('nic-rings:mig0')).toBe('unsupported');
    expect(status('nic-offloads:eth0')).toBe('warn'); // veth: GRO off
    expect(status('migration-network:hvB')).toBe('warn');
    expect(a.findings.find((f) => f.id === 'migration-network:hvB')?.fix).toContain("--migrateuri 'tcp://10.77.2.12'");
    expect(a.figures).toEqual({ rttMs: 0.07, rttTarget: '10.77.2.12', linkNic: 'mig0', linkMbps: 10_000, bdpBytes: 87_500 });
    expect(a.findings.filter((f) => f.concern === 'tcp-buffers').map((f) => f.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(a.findings.find((f) => f.concern === 'bonding')?.message).toMatch(/^No bonds/);
    expect(a.findings.find((f) => f.concern === 'clock')?.message).toMatch(/^No time sync service found/);
    expect(status('cpu-pinning:vm1')).toBe('pass');
    expect(a.findings.find((f) => f.id === 'storage-latency:vm1/sdb')?.message).toMatch(/device vda: await/);
    expect(a.skipped).toEqual([]);
    // The RTT is measured on the migration network, after the routes told where it is.
    expect(seen.some((x) => x.join(' ') === 'ping -n -c 5 -i 0.2 -W 1 -- 10.77.2.12')).toBe(true);
    expect(a.durationMs).toBeGreaterThan(0);
  });

  it('skips the peer and VM checks, saying why, when neither is chosen', async () => {
    const r = await runHostAudit(deps({ a: hvA }), { hostId: 'a' });
    expect(r.ok && r.value.skipped.map((s) => s.concern)).toEqual(['migration-network', 'tcp-buffers', 'cpu-pinning', 'storage-latency']);
    expect(r.ok && r.value.skipped[1]?.reason).toContain('net.ipv4.tcp_rmem = ');
  });

  it('turns one failing command into a finding with its error and audits the rest', async () => {
    const denied = (argv: readonly string[]) => (argv[0] === 'dmesg' ? 'dmesg: read kernel buffer failed: Operation not permitted\n' : hvA(argv));
    const r = await runHostAudit(deps({ a: denied }), { hostId: 'a' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const klog = r.value.findings.filter((f) => f.concern === 'nic-kernel-log');
    expect(klog.map((f) => [f.status, f.message])).toEqual([
      ['fail', 'Not checked: Ferry could not read the kernel log: read kernel buffer failed: Operation not permitted.'],
      ['fail', 'Not checked: Ferry could not read the kernel log: read kernel buffer failed: Operation not permitted.'],
    ]);
    expect(r.value.findings.find((f) => f.concern === 'clock')?.status).toBe('warn');
  });

  it('reports an unreachable host as one finding, not a failed request', async () => {
    const down = () => ferryError('ssh.unreachable', 'hvA (10.77.0.11:22) does not answer.');
    const r = await runHostAudit(deps({ a: down }), { hostId: 'a', vm: 'vm1' });
    expect(r.ok && r.value.findings.map((f) => [f.concern, f.status, f.message])).toEqual([['host', 'fail', 'Not checked: hvA (10.77.0.11:22) does not answer.']]);
  });

  it('refuses a host id that is not in the inventory', async () => {
    const r = await runHostAudit(deps({ a: hvA }), { hostId: 'zz' });
    expect(r.ok ? '' : r.error.code).toBe('inventory.not-found');
  });
});

describe('ferry.audit.troubleshoot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows vm1\'s QEMU log tail, the NIC lines of the kernel log, and the last 10 samples of the last failed migration from hvA', async () => {
    const line = (n: number, type: string, at: number, payload: object) => JSON.stringify({ v: 1, n, type, id: 'm-2', at, ...payload });
    const start = { start: { vm: 'vm1', source: { id: 'a', name: 'hvA', address: '10.77.0.11' }, destination: { id: 'b', name: 'hvB', address: '10.77.0.12' }, options: {}, argv: [], commandLine: 'virsh migrate', intervalMs: 1000 } };
    const rows = [
      JSON.stringify({ v: 1, n: 1, type: 'start', id: 'm-1', at: 1, ...start }),
      JSON.stringify({ v: 1, n: 2, type: 'end', id: 'm-1', at: 2, end: { state: 'failed', message: 'older failure' } }),
      line(3, 'start', 10, start),
      ...Array.from({ length: 15 }, (_, i) => line(4 + i, 'sample', 11 + i, { sample: { seq: i, latencyMs: 1, info: { format: 'human', type: 'unbounded', iteration: i, dataRemainingBytes: 1000 - i } } })),
      line(19, 'end', 40, { end: { state: 'failed', message: 'vm1 did not reach hvB: the connection dropped.', error: { code: 'libvirt.error', message: 'Migration failed.', detail: 'error: operation failed: job aborted' } } }),
    ];
    writeFileSync(join(dir, JOURNAL_FILE), `${rows.join('\n')}\n`);
    const d = { ...deps({ a: hvA }), dataDir: dir };
    const r = await runTroubleshoot(d, { hostId: 'a', vm: 'vm1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(troubleshootReportSchema.safeParse(r.value).success).toBe(true);
    const log = r.value.log;
    expect(log?.ok && log.value.lines.length).toBe(fx('logs', 'qemu-log-vm1').trimEnd().split('\n').length);
    expect(log?.ok && log.value.path).toBe('/var/log/libvirt/qemu/vm1.log');
    expect(r.value.nicErrors.ok && r.value.nicErrors.value).toEqual({ nics: ['eth0', 'mig0'], lines: [] });
    const m = r.value.failedMigration;
    expect(m.ok && m.value?.id).toBe('m-2');
    expect(m.ok && m.value?.samples.map((s) => s.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(m.ok && m.value?.totalSamples).toBe(15);
    expect(m.ok && m.value?.error?.detail).toBe('error: operation failed: job aborted');
  });

  it('answers "none" without a journal and no log part without a VM', async () => {
    const r = await runTroubleshoot(deps({ a: hvA }), { hostId: 'a' });
    expect(r.ok && r.value.failedMigration).toEqual({ ok: true, value: null });
    expect(r.ok && 'log' in r.value).toBe(false);
  });
});
