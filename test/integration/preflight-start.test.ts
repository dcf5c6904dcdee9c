// Starting a migration through the migration channels on the lab, pre-flight first (as the app wires it): a start
// refused by pre-flight (hvB's libvirtd stopped) is a 'refused' record in the journal, read back after a restart; a
// shut-off VM fails the state check with --offline offered, and the offline migration then moves its definition (no
// job to sample, the record says so); a destination whose sshd listens on 2222 is reached at qemu+ssh://...:2222; a
// VM named "-x" migrates. Every lab change is undone in finally (daemons, known_hosts, extra domains, vmReset).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, requireLab } from '../lab/use-lab';
import { cancelWatchdog, hx, labHost, labRun, startWatchdog, virsh, vmReset, type HostName } from '../lab/lab';
import { SshPool } from '../../electron/main/ssh/pool';
import { fileKnownHostsStore } from '../../electron/main/ssh/known-hosts';
import { execRunner, virshRunner } from '../../electron/main/remote/ssh-runner';
import { Journal, JOURNAL_FILE, parseJournal } from '../../electron/main/migration/journal';
import { buildRecords } from '../../electron/main/migration/record';
import { MigrationEngine, type EngineHostAccess } from '../../electron/main/migration/engine';
import { migrationHandlers } from '../../electron/main/migration/handlers';
import { runPreflight } from '../../electron/main/migration/preflight';
import { migrationsList, migrationsStart } from '../../shared/ipc/contract';
import type { MigrationRecordView } from '../../shared/migration/record-schema';
import { offlineOptions, type MigrationOptions } from '../../shared/migration/options';
import type { HostView } from '../../shared/inventory/types';

const ctx = { transport: 'web' } as never;

describe.skipIf(!lab)('starting migrations through pre-flight on the lab', () => {
  let dir: string;
  let knownHosts: string;
  let pool: SshPool;
  let journal: Journal;
  let engine: MigrationEngine;
  let hvBPort = 22;

  const view = (name: HostName, port = 22): HostView => {
    const h = labHost(requireLab(), name);
    return { record: { id: name, name, address: h.ip, port, user: 'root' }, connection: { state: 'connected' } } as unknown as HostView;
  };
  const handlers = () =>
    migrationHandlers({
      engine,
      history: journal,
      hosts: () => [view('hvA'), view('hvB', hvBPort)],
      preflight: async ({ vm, source, destination, options }) =>
        runPreflight(
          {
            vm,
            source: { target: { host: source.record.address, user: 'root', port: source.record.port }, name: source.record.name, address: source.record.address },
            destination: { target: { host: destination.record.address, user: 'root', port: destination.record.port }, name: destination.record.name, address: destination.record.address },
            destinationUser: 'root',
            options,
          },
          { hosts: { exec: (h) => execRunner(pool, h.target) } },
        ),
    });
  const start = (vm: string, options: MigrationOptions, overrides: string[] = []) =>
    handlers()[migrationsStart.id](migrationsStart.input.parse({ vm, sourceHostId: 'hvA', destinationHostId: 'hvB', options, ...(overrides.length ? { overrides: overrides.map((check) => ({ check, confirmed: true })) } : {}) }), ctx);
  const records = async (): Promise<MigrationRecordView[]> => {
    const r = await handlers()[migrationsList.id]({}, ctx);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  /** A tiny domain from vm1's XML under another name and UUID (serial log of its own). */
  const defineCopy = async (name: string, uuid: string) => {
    const xml = readFileSync(`${requireLab().dir}/guest/vm1.xml`, 'utf8')
      .replace('<name>vm1</name>', `<name>${name}</name>`)
      .replace(/<uuid>[^<]+<\/uuid>/, `<uuid>${uuid}</uuid>`)
      .replace('vm1-serial.log', `ferry-pf-${uuid.slice(-4)}-serial.log`);
    const file = join(dir, `${uuid}.xml`);
    writeFileSync(file, xml);
    await virsh('hvA', ['define', file]);
  };
  const removeEverywhere = async (uuid: string) => {
    for (const h of ['hvA', 'hvB'] as const) {
      await hx(h, ['virsh', 'destroy', '--domain', uuid]);
      await hx(h, ['virsh', 'undefine', '--domain', uuid]);
    }
  };

  beforeAll(async () => {
    const l = requireLab();
    await vmReset();
    dir = mkdtempSync(join(tmpdir(), 'ferry-pf-start-'));
    // Ferry's own known_hosts: a copy, so that the [10.77.0.12]:2222 entry of the port test never touches the lab's.
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, readFileSync(l.knownHosts));
    const key = readFileSync(l.clientKey);
    pool = new SshPool({ knownHosts: fileKnownHostsStore(knownHosts), auth: () => ({ kind: 'key', privateKey: key }) });
    const target = (h: { address: string }) => ({ host: h.address, user: 'root' });
    const hosts: EngineHostAccess = { exec: (h) => execRunner(pool, target(h)), openVirsh: (h) => virshRunner(pool, target(h)) };
    journal = await Journal.open({ dataDir: dir });
    engine = new MigrationEngine({ journal, hosts });
  });

  afterAll(async () => {
    await engine?.dispose();
    await journal?.close();
    await pool?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await vmReset();
  });

  it("keeps a refused start (hvB's libvirtd stopped) as a 'refused' record with the checks, read back after a restart", async () => {
    await labRun(['stop', 'libvirtd', 'hvB']);
    let id: string;
    try {
      const r = await start('vm1', { live: true, p2p: true, persistent: true, undefineSource: true });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.refused).toBe(true);
      id = r.value.id;
      const p2p = r.value.preflight?.find((c) => c.check === 'p2p');
      expect(p2p?.status).toBe('fail');
      expect(p2p?.overridable).toBeUndefined();
      // Asking to override the certain failure changes nothing: refused again, a second record.
      const again = await start('vm1', { live: true, p2p: true }, ['p2p']);
      expect(again.ok && again.value.refused).toBe(true);
    } finally {
      await labRun(['start', 'libvirtd', 'hvB']);
    }
    expect((await virsh('hvA', ['domstate', 'vm1'])).trim()).toBe('running');
    // A restart: a new journal and engine over the same file.
    await engine.dispose();
    await journal.close();
    const onDisk = buildRecords(parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'utf8')).lines).find((x) => x.id === id);
    expect(onDisk?.state).toBe('refused');
    journal = await Journal.open({ dataDir: dir });
    const hosts: EngineHostAccess = { exec: (h) => execRunner(pool, { host: h.address, user: 'root' }), openVirsh: (h) => virshRunner(pool, { host: h.address, user: 'root' }) };
    engine = new MigrationEngine({ journal, hosts });
    await engine.reconcile();
    const rec = (await records()).find((x) => x.id === id);
    expect(rec?.state).toBe('refused');
    expect(rec?.preflight.find((c) => c.check === 'p2p')?.message).toMatch(/libvirtd is not running on the destination/);
    expect(rec?.result.error?.message).toMatch(/^Pre-flight refused the start\./);
  });

  it('refuses a live migration of a shut-off VM with --offline offered, then moves its definition offline', async () => {
    const uuid = 'f3e7a001-0000-4000-8000-0000000000f1';
    await defineCopy('ferry-pf-off', uuid);
    try {
      const live = await start('ferry-pf-off', { live: true, p2p: true, persistent: true, undefineSource: true });
      expect(live.ok && live.value.refused).toBe(true);
      const state = live.ok ? live.value.preflight?.find((c) => c.check === 'state') : undefined;
      expect(state?.status).toBe('fail');
      expect(state?.message).toMatch(/ferry-pf-off is shut off on hvA: a live migration moves a running guest/);
      expect(state?.remedy).toBe('offline');
      const options = offlineOptions({ live: true, p2p: true, persistent: true, undefineSource: true, autoConverge: true });
      const off = await start('ferry-pf-off', options);
      expect(off.ok && off.value.refused).toBeFalsy();
      if (!off.ok) throw new Error(off.error.message);
      const rec = await engine.settled(off.value.id);
      expect(rec?.state, rec?.end?.message).toBe('completed');
      expect(rec?.end?.message).toMatch(/^Offline migration completed: the definition of ferry-pf-off is on hvB \(shut off\)\. No memory was moved/);
      expect(rec?.samples).toEqual([]);
      expect(rec?.start?.commandLine).toContain("'--offline'");
      expect(rec?.start?.commandLine).not.toContain("'--live'");
      expect((await virsh('hvB', ['domstate', 'ferry-pf-off'])).trim()).toBe('shut off');
    } finally {
      await removeEverywhere(uuid);
    }
  });

  it("reaches a destination whose sshd listens on 2222 at qemu+ssh://root@10.77.0.12:2222/system", async () => {
    const l = requireLab();
    const b = labHost(l, 'hvB');
    const hvAKnownHosts = `${l.dir}/hosts/hvA/home/.ssh/known_hosts`;
    const original = readFileSync(hvAKnownHosts, 'utf8');
    const entries = [b.hostKeys.ed25519, b.hostKeys.rsa].map((k) => `[${b.ip}]:2222 ${k.split(' ').slice(0, 2).join(' ')}\n`).join('');
    const pidFile = '/run/libvirt/sshd-2222.pid';
    const log = '/var/log/libvirt/sshd-2222.log';
    // A second sshd on hvB, on 2222 only, for this test; hvA's libvirtd (root's known_hosts) and Ferry must trust it.
    await hx('hvB', ['rm', '-f', log]);
    // fd 9 closed and stdio on /dev/null: a daemon that inherits lab.sh's lock or pipes keeps callers waiting.
    const started = await hx('hvB', ['sh', '-c', 'exec 9>&- </dev/null >/dev/null 2>&1; exec "$@"', 'ferry-sshd-2222', 'env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', '/usr/sbin/sshd', '-f', '/etc/ssh/sshd_config', '-p', '2222', '-o', `PidFile=${pidFile}`, '-E', log]);
    expect(started.code, started.stderr).toBe(0);
    let watchdog: number | undefined;
    try {
      appendFileSync(hvAKnownHosts, entries);
      appendFileSync(knownHosts, entries);
      hvBPort = 2222;
      watchdog = await startWatchdog('hvA', 'vm1', 120);
      const r = await start('vm1', { live: true, p2p: true, persistent: true, undefineSource: true });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.refused, JSON.stringify(r.value.preflight?.filter((c) => c.status === 'fail'))).toBeFalsy();
      expect(r.value.preflight?.find((c) => c.check === 'p2p')?.message).toContain('qemu+ssh://root@10.77.0.12:2222/system');
      const rec = await engine.settled(r.value.id);
      expect(rec?.start?.commandLine).toContain("'qemu+ssh://root@10.77.0.12:2222/system'");
      expect(rec?.state, rec?.end?.message).toBe('completed');
      expect((await virsh('hvB', ['domstate', 'vm1'])).trim()).toBe('running');
      // hvA's libvirtd really came in on 2222 (the sshd on 22 still runs for everyone else).
      expect(readFileSync(`${l.dir}/hosts/hvB/log/sshd-2222.log`, 'utf8')).toMatch(/Accepted publickey for root from 10\.77\.0\.11/);
    } finally {
      hvBPort = 22;
      if (watchdog !== undefined) await cancelWatchdog(watchdog).catch(() => undefined);
      writeFileSync(hvAKnownHosts, original);
      const pid = (await hx('hvB', ['cat', pidFile])).stdout.trim();
      if (/^\d+$/.test(pid)) await hx('hvB', ['kill', pid]);
      await hx('hvB', ['rm', '-f', pidFile, log]);
      await vmReset();
    }
  });

  it('migrates a VM named "-x", which libvirt accepts', async () => {
    const uuid = 'f3e7a001-0000-4000-8000-0000000000f9';
    await defineCopy('-x', uuid);
    try {
      await virsh('hvA', ['start', '--domain', '-x']);
      const r = await start('-x', { live: true, p2p: true, persistent: true, undefineSource: true });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.refused, JSON.stringify(r.value.preflight?.filter((c) => c.status === 'fail'))).toBeFalsy();
      const rec = await engine.settled(r.value.id);
      expect(rec?.state, rec?.end?.message).toBe('completed');
      expect(rec?.start?.commandLine).toContain("'--domain' '-x'");
      expect((await virsh('hvB', ['domstate', '--domain', '-x'])).trim()).toBe('running');
    } finally {
      await removeEverywhere(uuid);
    }
  });
});
