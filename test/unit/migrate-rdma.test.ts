/**
 * RDMA, which this machine cannot run (no CONFIG_INFINIBAND in its kernel): the command Ferry builds for
 * it, the combinations it refuses before anything runs, and what pre-flight says about each host. The probe's and
 * the domain's answers are the lab captures (test/fixtures/preflight/rdma-hvA.txt, virsh/dumpxml-migratable-vm1.txt);
 * a host WITH a device is a hand-written variant of the capture, since no lab host can show one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMigrateCommand, commandLine, migrateArgv } from '../../shared/commands/migrate';
import { validateMigrationOptions, type MigrationOptions } from '../../shared/migration/options';
import { ok, err, type Result } from '../../shared/result';
import { ferryError, type FerryError } from '../../shared/errors';
import { runPreflight, preflightPassed, type PreflightDeps, type PreflightHost, type PreflightResult } from '../../electron/main/migration/preflight';
import type { CommandRunner, RunOutput } from '../../electron/main/remote/run-command';
import type { SshTarget } from '../../electron/main/ssh/errors';

const FIX = join(__dirname, '..', 'fixtures');
const fx = (p: string): string => readFileSync(join(FIX, p), 'utf8');

const RDMA: MigrationOptions = { live: true, p2p: true, persistent: true, rdmaPinAll: true, migrateUri: 'rdma://10.77.0.12' };

describe('the RDMA migrate command', () => {
  it('puts --rdma-pin-all and the rdma:// migrate URI in the argv, each value its own word, before the domain and destination', () => {
    const spec = { domain: 'vm1', destinationHost: '10.77.0.12', options: RDMA };
    const cmd = buildMigrateCommand(spec);
    expect(cmd.ok).toBe(true);
    if (!cmd.ok) return;
    expect(cmd.value.argv).toEqual([
      'virsh', '--connect', 'qemu:///system', 'migrate', '--verbose', '--live', '--p2p', '--persistent', '--rdma-pin-all',
      '--migrateuri', 'rdma://10.77.0.12', '--domain', 'vm1', '--desturi', 'qemu+ssh://10.77.0.12/system',
    ]);
    // What the dialog shows and the source runs: every word quoted.
    const line = commandLine(spec);
    expect(line.ok && line.value).toBe(
      "'env' 'LC_ALL=C' 'virsh' '--connect' 'qemu:///system' 'migrate' '--verbose' '--live' '--p2p' '--persistent' '--rdma-pin-all' '--migrateuri' 'rdma://10.77.0.12' '--domain' 'vm1' '--desturi' 'qemu+ssh://10.77.0.12/system'",
    );
  });

  it('keeps an IPv6 RDMA address with its port as one argv word', () => {
    const argv = migrateArgv({ domain: 'vm1', destinationHost: '10.77.0.12', options: { ...RDMA, migrateUri: 'rdma://[fd00::12]:4444' } });
    expect(argv.ok && argv.value.slice(argv.value.indexOf('--migrateuri'), argv.value.indexOf('--migrateuri') + 2)).toEqual(['--migrateuri', 'rdma://[fd00::12]:4444']);
  });

  it('lets a complete RDMA option set through validation', () => {
    expect(validateMigrationOptions(RDMA).filter((p) => p.severity === 'error')).toEqual([]);
  });

  const refused: readonly [string, MigrationOptions, RegExp][] = [
    ['rdma-pin-all without any migrate URI', { live: true, p2p: true, rdmaPinAll: true }, /rdma:\/\/DESTINATION/],
    ['an RDMA URI with TLS', { ...RDMA, tls: true }, /RDMA transport supports neither TLS/],
    ['an RDMA URI with parallel connections', { ...RDMA, parallel: true, parallelConnections: 2 }, /parallel connections/],
    ['an RDMA URI with compression', { ...RDMA, compressed: true }, /compression/],
  ];
  for (const [name, options, reason] of refused) {
    it(`refuses ${name}, and builds no command for it`, () => {
      const errors = validateMigrationOptions(options).filter((p) => p.severity === 'error');
      expect(errors.some((p) => reason.test(p.message) && p.options.includes('migrateUri')), JSON.stringify(errors)).toBe(true);
      const cmd = buildMigrateCommand({ domain: 'vm1', destinationHost: '10.77.0.12', options });
      expect(cmd.ok).toBe(false);
    });
  }
});

// ---- pre-flight's RDMA check over the lab's answers ----------------------------------------------------------

const A = { target: { host: '10.77.0.11', user: 'root' }, name: 'hvA', address: '10.77.0.11' };
const B = { target: { host: '10.77.0.12', user: 'root' }, name: 'hvB', address: '10.77.0.12' };
const NAMES: Record<string, string> = { '10.77.0.11': 'hvA', '10.77.0.12': 'hvB' };

/** The lab capture (no device, CONFIG_INFINIBAND not set), and a host where the driver and a device exist. */
const NO_RDMA = fx('preflight/rdma-hvA.txt');
const WITH_DEVICE = NO_RDMA.replace('infiniband: absent', 'infiniband: mlx5_0 ').replace('# CONFIG_INFINIBAND is not set', 'CONFIG_INFINIBAND=m');
const MODULE_NOT_LOADED = NO_RDMA.replace('# CONFIG_INFINIBAND is not set', 'CONFIG_INFINIBAND=m');
const DOMAIN = fx('virsh/dumpxml-migratable-vm1.txt');
const WITH_HARD_LIMIT = DOMAIN.replace('<vcpu', "<memtune><hard_limit unit='KiB'>1048576</hard_limit></memtune>\n  <vcpu");

/** Answers the RDMA probe per host and vm1's XML; every other check's command fails (only 'rdma' is looked at). */
function hosts(probe: Record<'hvA' | 'hvB', string>, xml = DOMAIN): PreflightDeps['hosts'] {
  return { exec: (h: PreflightHost): CommandRunner => ({ run: (argv) => answer(h.target, argv, probe, xml) }) };
}

function answer(target: SshTarget, argv: readonly string[], probe: Record<'hvA' | 'hvB', string>, xml: string): Promise<Result<RunOutput, FerryError>> {
  const host = NAMES[target.host] ?? target.host;
  if (argv.includes('sh') && argv.some((x) => x.includes('/sys/class/infiniband'))) return Promise.resolve(ok({ stdout: probe[host as 'hvA' | 'hvB'], stderr: '', exitCode: 0 }));
  if (host === 'hvA' && argv.includes('dumpxml')) return Promise.resolve(ok({ stdout: xml, stderr: '', exitCode: 0 }));
  return Promise.resolve(err(ferryError('command.not-found', `not part of this test: ${argv.join(' ')}`)));
}

async function rdma(options: MigrationOptions, probe: Record<'hvA' | 'hvB', string>, xml?: string): Promise<PreflightResult> {
  const results = await runPreflight({ vm: 'vm1', source: A, destination: B, options }, { hosts: hosts(probe, xml), now: () => Date.parse('2026-11-25T11:00:00Z') });
  const r = results.find((x) => x.check === 'rdma');
  if (!r) throw new Error('no rdma result');
  return r;
}

describe("pre-flight's RDMA check", () => {
  it('on the lab: fails for the missing device on both hosts (the kernel says why), the URI and the missing hard limit', async () => {
    const r = await rdma({ live: true, p2p: true, rdmaPinAll: true }, { hvA: NO_RDMA, hvB: NO_RDMA });
    expect(r.status).toBe('fail');
    for (const h of ['hvA', 'hvB']) expect(r.message).toContain(`no RDMA device on ${h} (/sys/class/infiniband is empty or absent; CONFIG_INFINIBAND is not set in its kernel 6.18.44-fc-v657)`);
    expect(r.message).toContain('the migrate URI is not set, not rdma://10.77.0.12');
    expect(r.message).toContain('vm1 has no memory hard limit (<memtune><hard_limit>); libvirt refuses: "cannot start RDMA migration with no memory hard limit set"');
    expect(r.fix).toContain("virsh memtune --domain 'vm1' --hard-limit <KiB> --config");
    expect(r.detail).toContain('hvA: devices [], CONFIG_INFINIBAND false (/proc/config.gz)');
  });

  it('names only what is missing: the device on hvB (driver built but no device), with the URI and hard limit in place', async () => {
    const r = await rdma(RDMA, { hvA: WITH_DEVICE, hvB: MODULE_NOT_LOADED }, WITH_HARD_LIMIT);
    expect(r.status).toBe('fail');
    expect(r.message).toBe('RDMA cannot work: no RDMA device on hvB (/sys/class/infiniband is empty or absent).');
  });

  it('names the hard limit alone when both hosts have a device', async () => {
    const r = await rdma(RDMA, { hvA: WITH_DEVICE, hvB: WITH_DEVICE });
    expect(r.status).toBe('fail');
    expect(r.message).toBe('RDMA cannot work: vm1 has no memory hard limit (<memtune><hard_limit>); libvirt refuses: "cannot start RDMA migration with no memory hard limit set".');
  });

  it('passes with a device on both hosts, an rdma:// URI and a hard limit', async () => {
    const r = await rdma(RDMA, { hvA: WITH_DEVICE, hvB: WITH_DEVICE }, WITH_HARD_LIMIT);
    expect(r.status, r.message).toBe('pass');
    expect(r.message).toMatch(/^RDMA devices on both hosts \(mlx5_0 \/ mlx5_0\), rdma:\/\/10\.77\.0\.12, hard limit 1,?024 MiB\.$/);
  });

  it('is skipped when RDMA is not chosen, and a failed RDMA check stops the migration', async () => {
    expect((await rdma({ live: true, p2p: true }, { hvA: NO_RDMA, hvB: NO_RDMA })).status).toBe('skipped');
    const failed = await rdma(RDMA, { hvA: NO_RDMA, hvB: NO_RDMA });
    expect(preflightPassed([failed])).toBe(false);
  });
});
