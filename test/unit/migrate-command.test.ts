import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildMigrateCommand,
  commandLine,
  destinationUri,
  domjobAbort,
  migrateArgv,
  migratePostcopy,
  migrateSetMaxDowntime,
  migrateSetSpeed,
  migrationCommands,
  parseControlOutput,
  parseMigrateOutput,
  type MigrateSpec,
} from '../../shared/commands/migrate';
import {
  BUILT_IN_PROFILES,
  migrationOptionsSchema,
  offlineOptions,
  migrationProfileSchema,
  parseMigrateUri,
  validateMigrationOptions,
  VIRSH_OPTION_NAMES,
  type MigrationOptions,
} from '../../shared/migration/options';
import { parseVirshHelp, type VirshHelp } from '../../shared/parsers/virsh-help';

const FIXTURES = join(__dirname, '..', 'fixtures', 'virsh');
function help(name: string): VirshHelp {
  const r = parseVirshHelp(readFileSync(join(FIXTURES, `help-${name}.txt`), 'utf8'));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const spec = (options: MigrationOptions, extra: Partial<MigrateSpec> = {}): MigrateSpec => ({
  domain: 'vm1',
  destinationHost: '10.77.0.12',
  options,
  ...extra,
});

/** Every option set Ferry can emit at once (valid), to check each flag against virsh's own help. */
const EVERYTHING: readonly MigrationOptions[] = [
  {
    live: true, p2p: true, persistent: true, undefineSource: true, suspend: true, copyStorageInc: true, migrateDisks: ['vda', 'vdb'],
    tls: true, tlsDestination: 'hvB', autoConverge: true, autoConvergeInitial: 50, autoConvergeIncrement: 25, postcopy: true,
    postcopyAfterPrecopy: true, postcopyBandwidthMiBps: 2, compressed: true, compMethods: ['xbzrle', 'mt'], bandwidthMiBps: 5,
    maxDowntimeMs: 500, timeoutSec: 25, timeoutAction: 'postcopy', abortOnError: true, migrateUri: 'tcp://10.77.2.12',
    listenAddress: '10.77.2.12', dname: 'vm1-moved',
  },
  { live: true, p2p: true, persistent: true, copyStorageAll: true, parallel: true, parallelConnections: 4, timeoutSec: 5, timeoutAction: 'suspend' },
  { live: true, p2p: true, tunnelled: true, persistent: true, bandwidthMiBps: 40 },
  { live: true, p2p: true, rdmaPinAll: true, migrateUri: 'rdma://10.77.0.12' },
  { offline: true, p2p: true, persistent: true },
];

describe('virsh migrate command', () => {
  it('builds the p2p live migration argv with the domain and destination behind their options', () => {
    const cmd = buildMigrateCommand(spec({ live: true, p2p: true, persistent: true, undefineSource: true, bandwidthMiBps: 20 }));
    expect(cmd.ok && cmd.value.argv).toEqual([
      'virsh', '--connect', 'qemu:///system', 'migrate', '--verbose', '--live', '--p2p', '--persistent', '--undefinesource',
      '--bandwidth', '20', '--domain', 'vm1', '--desturi', 'qemu+ssh://10.77.0.12/system',
    ]);
  });

  it('emits exactly the options asked for, nothing by default', () => {
    expect(migrateArgv(spec({}))).toEqual({
      ok: true,
      value: ['virsh', '--connect', 'qemu:///system', 'migrate', '--verbose', '--domain', 'vm1', '--desturi', 'qemu+ssh://10.77.0.12/system'],
    });
  });

  it('sends the migration stream to a dedicated address when asked', () => {
    const cmd = buildMigrateCommand(spec({ live: true, p2p: true, migrateUri: 'tcp://10.77.2.12' }, { destinationHost: 'hvB' }));
    expect(cmd.ok && cmd.value.argv.join(' ')).toContain('--migrateuri tcp://10.77.2.12');
  });

  it('emits every option as a separate argv word, lists joined by commas, the timeout action after --timeout', () => {
    const argv = migrateArgv(spec(EVERYTHING[0] ?? {}));
    expect(argv.ok).toBe(true);
    if (!argv.ok) return;
    const line = argv.value.join(' ');
    expect(line).toContain('--migrate-disks vda,vdb');
    expect(line).toContain('--comp-methods xbzrle,mt');
    expect(line).toContain('--timeout 25 --timeout-postcopy');
    expect(line).toContain('--auto-converge-initial 50 --auto-converge-increment 25');
    expect(line).toContain('--tls-destination hvB');
    expect(line).not.toContain('downtime'); // not a virsh migrate option: applied after start
    expect(argv.value.slice(-4)).toEqual(['--domain', 'vm1', '--desturi', 'qemu+ssh://10.77.0.12/system']);
  });

  it('uses only options that virsh 9.0 lists in its help (a misspelt flag cannot ship)', () => {
    const known = new Map(help('migrate').options.map((o) => [o.name, o]));
    for (const options of EVERYTHING) {
      expect(validateMigrationOptions(options).filter((p) => p.severity === 'error')).toEqual([]);
      const argv = migrateArgv(spec(options));
      expect(argv.ok).toBe(true);
      if (!argv.ok) continue;
      const words = argv.value.slice(argv.value.indexOf('migrate') + 1);
      for (let i = 0; i < words.length; i++) {
        const w = words[i] ?? '';
        expect(w.startsWith('--'), `argv word ${w} follows a flag, so it must be an option`).toBe(true);
        const o = known.get(w.slice(2));
        expect(o, `virsh migrate has ${w}`).toBeDefined();
        if (o?.argument !== undefined) i++; // skip its value
      }
    }
    // The controls, against their own help texts.
    const controls = [
      ['migrate-setspeed', migrateSetSpeed('vm1', 5)],
      ['migrate-setmaxdowntime', migrateSetMaxDowntime('vm1', 6000)],
      ['migrate-postcopy', migratePostcopy('vm1')],
      ['domjobabort', domjobAbort('vm1')],
    ] as const;
    for (const [name, cmd] of controls) {
      expect(cmd.ok).toBe(true);
      if (!cmd.ok) continue;
      const names = new Set(help(name).options.map((o) => `--${o.name}`));
      expect(cmd.value.argv.slice(0, 4)).toEqual(['virsh', '--connect', 'qemu:///system', name]);
      for (const w of cmd.value.argv.slice(4).filter((x) => x.startsWith('--'))) expect(names, `${name} has ${w}`).toContain(w);
    }
  });

  it('keeps every option key mapped to a virsh name', () => {
    expect(Object.keys(VIRSH_OPTION_NAMES).sort()).toEqual(Object.keys(migrationOptionsSchema.shape).sort());
  });

  it('shows the exact quoted command line, with the max downtime applied right after start', () => {
    const line = commandLine(spec({ live: true, p2p: true, maxDowntimeMs: 500 }, { domain: "it's" }));
    expect(line).toEqual({
      ok: true,
      value:
        "'env' 'LC_ALL=C' 'virsh' '--connect' 'qemu:///system' 'migrate' '--verbose' '--live' '--p2p' '--domain' 'it'\\''s' '--desturi' 'qemu+ssh://10.77.0.12/system'\n" +
        "'env' 'LC_ALL=C' 'virsh' '--connect' 'qemu:///system' 'migrate-setmaxdowntime' '--domain' 'it'\\''s' '--downtime' '500'",
    });
    const cmds = migrationCommands(spec({ live: true }));
    expect(cmds.ok && cmds.value.afterStart).toEqual([]);
  });

  it('refuses a destination, user or domain that would smuggle options or shell syntax', () => {
    expect(destinationUri('-oProxyCommand=x').ok).toBe(false);
    expect(destinationUri('hvB;reboot').ok).toBe(false);
    expect(destinationUri('hvB', 'root@x').ok).toBe(false);
    expect(destinationUri('fd00::12', 'root')).toEqual({ ok: true, value: 'qemu+ssh://root@[fd00::12]/system' });
    expect(buildMigrateCommand(spec({ bandwidthMiBps: 0 })).ok).toBe(false);
    expect(buildMigrateCommand(spec({}, { domain: '' })).ok).toBe(false);
    expect(buildMigrateCommand(spec({ migrateUri: 'tcp://x;reboot' })).ok).toBe(false);
    expect(buildMigrateCommand(spec({ dname: 'a/b' })).ok).toBe(false);
    expect(migrateSetSpeed('vm1', 0).ok).toBe(false);
    expect(migrateSetMaxDowntime('x\ny', 300).ok).toBe(false);
  });

  it('builds --offline --persistent with no --live, and refuses what an offline migration cannot have', () => {
    const r = migrateArgv(spec(offlineOptions({ live: true, p2p: true, persistent: true, undefineSource: true, autoConverge: true, postcopy: true, bandwidthMiBps: 50, maxDowntimeMs: 500, tls: true })));
    expect(r.ok && r.value.slice(3)).toEqual(['migrate', '--verbose', '--offline', '--p2p', '--persistent', '--undefinesource', '--domain', 'vm1', '--desturi', 'qemu+ssh://10.77.0.12/system']);
    expect(validateMigrationOptions({ offline: true, persistent: true, maxDowntimeMs: 300 }).map((p) => p.options)).toEqual([['offline', 'maxDowntimeMs']]);
    expect(validateMigrationOptions({ offline: true, live: true, persistent: true }).some((p) => p.severity === 'error')).toBe(true);
  });

  it('passes a domain named like an option after --domain, as libvirt accepts it', () => {
    const r = migrateArgv(spec({ live: true, p2p: true, dname: '-y' }, { domain: '-x' }));
    expect(r.ok && r.value.slice(-6)).toEqual(['--dname', '-y', '--domain', '-x', '--desturi', 'qemu+ssh://10.77.0.12/system']);
    const dt = migrateSetMaxDowntime('-x', 300);
    expect(dt.ok && dt.value.argv.slice(-4)).toEqual(['--domain', '-x', '--downtime', '300']);
  });

  it("writes the destination's SSH port into the URI when it is not 22", () => {
    expect(destinationUri('10.77.0.12', 'root', 2222)).toEqual({ ok: true, value: 'qemu+ssh://root@10.77.0.12:2222/system' });
    expect(destinationUri('10.77.0.12', 'root', 22)).toEqual({ ok: true, value: 'qemu+ssh://root@10.77.0.12/system' });
    expect(destinationUri('fd00::12', 'root', 2222)).toEqual({ ok: true, value: 'qemu+ssh://root@[fd00::12]:2222/system' });
    expect(destinationUri('10.77.0.12', 'root', 0).ok).toBe(false);
    const r = migrateArgv(spec({ live: true, p2p: true }, { destinationUser: 'root', destinationPort: 2222 }));
    expect(r.ok && r.value.at(-1)).toBe('qemu+ssh://root@10.77.0.12:2222/system');
  });

  it('refuses an invalid combination with the reason', () => {
    const r = buildMigrateCommand(spec({ live: true, p2p: true, tunnelled: true, parallel: true }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('input.invalid');
      expect(r.error.message).toMatch(/tunnelled.*parallel/i);
    }
  });

  it("returns libvirt's own error text when the migration fails", () => {
    const r = parseMigrateOutput(
      'error: Cannot recv data: ssh: connect to host 10.77.0.99 port 22: No route to host: Connection reset by peer\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('libvirt.error');
      expect(r.error.detail).toContain('No route to host');
    }
    expect(parseControlOutput('\n')).toEqual({ ok: true, value: undefined });
    expect(parseControlOutput("error: operation aborted: job 'migration out' canceled by client\n").ok).toBe(false);
  });

  it('keeps the progress lines of a successful migration', () => {
    const r = parseMigrateOutput('Migration: [  0 %]\rMigration: [ 64 %]\rMigration: [100 %]\n\n');
    expect(r).toEqual({ ok: true, value: { progressLines: ['Migration: [  0 %]', 'Migration: [ 64 %]', 'Migration: [100 %]'] } });
    expect(parseMigrateOutput('Migration: [100 %]\n', { code: 0 }).ok).toBe(true);
  });

  it('never takes a non-zero exit or a signal for success, even without an error line', () => {
    const exited = parseMigrateOutput('\rMigration: [ 12 %]', { code: 1 });
    expect(exited.ok ? 'ok' : [exited.error.code, exited.error.message]).toEqual([
      'libvirt.error',
      'virsh migrate exited with status 1 without an error message; the migration did not complete.',
    ]);
    const signalled = parseMigrateOutput('', { code: null });
    expect(signalled.ok ? 'ok' : signalled.error.message).toMatch(/was ended by a signal/);
  });
});

describe('migration option rules', () => {
  const problemsOf = (o: MigrationOptions) => validateMigrationOptions(o).filter((p) => p.severity === 'error');
  const refused: readonly (readonly [string, MigrationOptions, readonly string[], RegExp])[] = [
    ['tunnelled with parallel', { live: true, p2p: true, tunnelled: true, parallel: true }, ['tunnelled', 'parallel'], /parallel/],
    ['tunnelled with migrateuri', { live: true, p2p: true, tunnelled: true, migrateUri: 'tcp://10.77.2.12' }, ['tunnelled', 'migrateUri'], /URI/],
    ['tunnelled with listen-address', { live: true, p2p: true, tunnelled: true, listenAddress: '10.77.0.12' }, ['tunnelled', 'listenAddress'], /listens/],
    ['tunnelled with tls', { live: true, p2p: true, tunnelled: true, tls: true }, ['tunnelled', 'tls'], /refuses the pair/],
    ['tunnelled without p2p', { live: true, tunnelled: true }, ['tunnelled', 'p2p'], /--p2p/],
    ['timeout without live', { p2p: true, timeoutSec: 25 }, ['timeoutSec', 'live'], /--live/],
    ['timeout action without timeout', { live: true, timeoutAction: 'suspend' }, ['timeoutAction', 'timeoutSec'], /--timeout/],
    ['timeout-postcopy without postcopy', { live: true, timeoutSec: 25, timeoutAction: 'postcopy' }, ['timeoutAction', 'postcopy'], /--postcopy/],
    ['postcopy-after-precopy without postcopy', { live: true, postcopyAfterPrecopy: true }, ['postcopyAfterPrecopy', 'postcopy'], /--postcopy/],
    ['postcopy-bandwidth without postcopy', { live: true, postcopyBandwidthMiBps: 2 }, ['postcopyBandwidthMiBps', 'postcopy'], /--postcopy/],
    ['offline with live', { offline: true, live: true, persistent: true }, ['offline', 'live'], /not both/],
    ['offline without persistent', { offline: true, p2p: true }, ['offline', 'persistent'], /--persistent/],
    ['direct with p2p', { live: true, direct: true, p2p: true }, ['direct', 'p2p'], /excludes/],
    ['copy-storage-all with -inc', { live: true, copyStorageAll: true, copyStorageInc: true }, ['copyStorageAll', 'copyStorageInc'], /not both/],
    ['migrate-disks without copy-storage', { live: true, migrateDisks: ['vda'] }, ['migrateDisks'], /--copy-storage/],
    ['rdma-pin-all without an rdma uri', { live: true, p2p: true, rdmaPinAll: true, migrateUri: 'tcp://10.77.0.12' }, ['rdmaPinAll', 'migrateUri'], /rdma:\/\//],
    ['parallel-connections without parallel', { live: true, parallelConnections: 4 }, ['parallelConnections', 'parallel'], /--parallel/],
    ['postcopy with parallel', { live: true, p2p: true, postcopy: true, parallel: true }, ['postcopy', 'parallel'], /multifd/],
    ['comp-methods without compressed', { live: true, compMethods: ['xbzrle'] }, ['compMethods', 'compressed'], /--compressed/],
    ['auto-converge-initial without auto-converge', { live: true, autoConvergeInitial: 50 }, ['autoConvergeInitial'], /--auto-converge/],
    ['tls-destination without tls', { live: true, tlsDestination: 'hvB' }, ['tlsDestination', 'tls'], /--tls/],
  ];
  for (const [name, options, concerned, reason] of refused) {
    it(`refuses ${name}, naming the options and why`, () => {
      const problems = problemsOf(options);
      const hit = problems.find((p) => concerned.every((k) => (p.options as readonly string[]).includes(k)));
      expect(hit, JSON.stringify(problems)).toBeDefined();
      expect(hit?.message).toMatch(reason);
    });
  }

  it('warns (but allows) undefinesource without persistent, and a timeout that suspends the guest', () => {
    const p = validateMigrationOptions({ live: true, p2p: true, undefineSource: true, timeoutSec: 30 });
    expect(p.every((x) => x.severity === 'warning')).toBe(true);
    expect(p.map((x) => x.options[0])).toEqual(['undefineSource', 'timeoutSec']);
  });

  it('refuses numbers out of range and unknown options, saying which', () => {
    const p = validateMigrationOptions({ live: true, bandwidthMiBps: 0, parallelConnections: 300, autoConvergeInitial: 100, bogus: true });
    expect(p.map((x) => x.options[0] ?? '(none)').sort()).toEqual(['(none)', 'autoConvergeInitial', 'bandwidthMiBps', 'parallelConnections']);
    expect(p.find((x) => x.options[0] === 'bandwidthMiBps')?.message).toMatch(/^--bandwidth: /);
    expect(p.find((x) => x.options.length === 0)?.message).toMatch(/bogus/);
  });

  it('reads migrate URIs strictly', () => {
    expect(parseMigrateUri('tcp://10.77.2.12')).toEqual({ scheme: 'tcp', host: '10.77.2.12' });
    expect(parseMigrateUri('rdma://[fd00::12]:4444')).toEqual({ scheme: 'rdma', host: 'fd00::12', port: 4444 });
    expect(parseMigrateUri('tcp://hvB:0')).toBeUndefined();
    expect(parseMigrateUri('unix:///x')).toBeUndefined();
    expect(parseMigrateUri("tcp://a'b")).toBeUndefined();
  });

  it('ships built-in profiles that validate without errors and fit the profile schema', () => {
    expect(BUILT_IN_PROFILES.map((p) => p.name)).toEqual(['Fast LAN', 'WAN + TLS']);
    for (const p of BUILT_IN_PROFILES) {
      expect(migrationProfileSchema.parse(p)).toEqual(p);
      expect(validateMigrationOptions(p.options)).toEqual([]);
      expect(buildMigrateCommand(spec(p.options)).ok).toBe(true);
    }
  });
});
