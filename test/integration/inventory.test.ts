// The host inventory against the real lab, through the same handler map the IPC core serves: first contact with
// each host shows its key (fresh data directory), trusted keys go to Ferry's own known_hosts, facts and VMs come
// from real sshd/libvirt, a re-keyed host is refused, and a host whose sshd is down is unreachable while the
// others keep refreshing. Scenario changes to the shared lab are always undone (finally).
//
// A stopped or re-keyed sshd does not end the sessions it already accepted (OpenSSH keeps them), so each
// scenario starts a fresh Ferry main on the same data directory, as a restart would: the new connections meet
// the changed host.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueOf } from '../support/wait';
import { createFerryMain, type FerryMain } from '../../electron/main/app';
import type { Caller, StreamContext } from '../../electron/main/ipc/handlers';
import {
  hostsAdd,
  hostsList,
  hostsRefresh,
  hostsRemove,
  hostsTest,
  hostsTrustKey,
  inventoryWatch,
  settingsSet,
  sshConfigImport,
  type HostTestOutcome,
  type InventoryEvent,
} from '../../shared/ipc/contract';
import type { HostDraft, HostView } from '../../shared/inventory/types';
import type { FerryError } from '../../shared/errors';
import type { Result } from '../../shared/result';
import { hx, labCommand, labHost, type HostName, type LabInfo } from '../lab/lab';
import { lab, requireLab } from '../lab/use-lab';

const caller: Caller = { clientId: 'integration', transport: 'web' };
const streamCtx: StreamContext = { ...caller, subscription: 's1', end: () => undefined };

function value<T>(r: Result<T, FerryError>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

const waitFor = valueOf;

describe.skipIf(!lab)('host inventory on the lab', () => {
  let l: LabInfo;
  let dataDir: string;
  let homeDir: string;
  const mains: FerryMain[] = [];

  /** A Ferry on the data directory (one at a time: it is locked), or on `dir`, a copy of it. */
  const newMain = async (dir = dataDir): Promise<FerryMain> => {
    const m = await createFerryMain({ dataDir: dir, homeDir, env: {}, version: 'test', localUser: 'root' });
    mains.push(m);
    return m;
  };
  const draft = (h: HostName): HostDraft => {
    const host = labHost(l, h);
    return { name: h, address: host.ip, port: host.port, user: host.user, auth: { kind: 'key', keyPath: l.clientKey } };
  };
  const list = async (m: FerryMain): Promise<HostView[]> => value(await m.handlers[hostsList.id]({}, caller));
  const view = async (m: FerryMain, name: string): Promise<HostView> => {
    const v = (await list(m)).find((x) => x.record.name === name);
    if (!v) throw new Error(`${name} is not in the inventory`);
    return v;
  };

  /** test -> (unknown key: trust exactly the key shown) -> add. */
  async function addWithTrust(m: FerryMain, d: HostDraft, source: 'manual' | 'ssh-config' = 'manual'): Promise<HostTestOutcome> {
    const first = value(await m.handlers[hostsTest.id]({ draft: d }, caller));
    if (first.outcome === 'host-key-unknown') {
      value(await m.handlers[hostsTrustKey.id]({ host: first.key.host, port: first.key.port, keyType: first.key.keyType, fingerprint: first.key.fingerprint }, caller));
    }
    value(await m.handlers[hostsAdd.id]({ draft: d, source }, caller));
    return first;
  }

  beforeAll(() => {
    l = requireLab();
    dataDir = mkdtempSync(join(tmpdir(), 'ferry-inv-it-data-'));
    homeDir = mkdtempSync(join(tmpdir(), 'ferry-inv-it-home-'));
  });
  afterAll(async () => {
    await Promise.all(mains.map((m) => m.dispose()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (homeDir) rmSync(homeDir, { recursive: true, force: true });
  });

  it('adds hvA after showing and trusting its key, and shows its facts', async () => {
    const m = await newMain();
    const first = await addWithTrust(m, draft('hvA'));
    const ed25519 = labHost(l, 'hvA').hostKeys.ed25519.split(' ')[1]!;
    expect(first).toMatchObject({ outcome: 'host-key-unknown', key: { host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519' } });
    // The key trusted is the lab's, and it went to Ferry's own known_hosts.
    expect(readFileSync(join(dataDir, 'known_hosts'), 'utf8')).toContain(`10.77.0.11 ssh-ed25519 ${ed25519}`);

    const hvA = await view(m, 'hvA');
    expect(hvA.connection.state).toBe('connected');
    expect(hvA.facts).toMatchObject({ hostname: 'hvA', libvirtVersion: expect.stringMatching(/^9\./), hypervisor: expect.stringMatching(/^QEMU 7\.2/) });
    expect(hvA.facts?.cpuCount).toBeGreaterThan(0);
    expect(hvA.facts?.memoryBytes).toBeGreaterThan(1024 ** 3);
    expect(hvA.facts?.nics.find((n) => n.name === 'eth0')).toMatchObject({ mtu: 9000, role: 'management', speedMbps: 10000, addresses: ['10.77.0.11/24'] });
    expect(hvA.facts?.nics.find((n) => n.name === 'mig0')).toMatchObject({ mtu: 9000, role: 'migration', addresses: ['10.77.2.11/24'] });
  });

  it('adds hvB and lists the lab guests with memory, vCPUs and flags', async () => {
    const m = mains[0]!;
    await addWithTrust(m, draft('hvB'));
    value(await m.handlers[hostsRefresh.id]({}, caller));
    // vm1/vmd live on hvA, but another engineer's migration test may have moved one to hvB for a moment.
    const vms = (await list(m)).flatMap((v) => v.vms ?? []);
    const vm1 = vms.find((v) => v.name === 'vm1' && v.state === 'running');
    const vmd = vms.find((v) => v.name === 'vmd');
    expect(vm1).toMatchObject({ memoryBytes: 128 * 1024 ** 2, vcpus: 1, persistent: true, autostart: false });
    expect(vmd).toMatchObject({ memoryBytes: 256 * 1024 ** 2, vcpus: 1, persistent: true });
  });

  it('imports hvC from an ssh config file and adds it as an ssh-config host', async () => {
    const m = mains[0]!;
    const configPath = join(homeDir, 'lab_ssh_config');
    writeFileSync(configPath, [`Host hvC`, `  HostName 10.77.1.13`, `  User root`, `  IdentityFile ${l.clientKey}`, `Host *`, `  ServerAliveInterval 10`, ''].join('\n'));
    const imported = value(await m.handlers[sshConfigImport.id]({ path: configPath }, caller));
    expect(imported.candidates).toEqual([
      { alias: 'hvC', draft: { name: 'hvC', address: '10.77.1.13', port: 22, user: 'root', auth: { kind: 'key', keyPath: l.clientKey } }, warnings: [] },
    ]);
    await addWithTrust(m, imported.candidates[0]!.draft, 'ssh-config');
    const hvC = await view(m, 'hvC');
    expect(hvC.record.source).toBe('ssh-config');
    expect(hvC.facts?.hostname).toBe('hvC');
    expect(hvC.facts?.nics.find((n) => n.name === 'eth0')).toMatchObject({ mtu: 1500, role: 'management' });
  });

  it('refuses hvB once its host key has changed, and will not trust the new key', async () => {
    await mains[0]!.dispose();
    const rekey = await labCommand(['rekey', 'hvB']);
    expect(rekey.code).toBe(0);
    try {
      const m = await newMain();
      value(await m.handlers[hostsRefresh.id]({}, caller));
      const hvB = await view(m, 'hvB');
      expect(hvB.connection).toMatchObject({ state: 'host-key-changed', knownIn: join(dataDir, 'known_hosts'), key: { host: '10.77.0.12', keyType: 'ssh-ed25519' } });
      if (hvB.connection.state !== 'host-key-changed') throw new Error('unreachable');
      expect(hvB.connection.knownFingerprint).not.toBe(hvB.connection.key.fingerprint);
      expect(hvB.connection.reason).toMatch(/CHANGED/);
      expect(hvB.vms?.length ?? 0).toBe(0); // never connected in this process: nothing invented
      // The test dialog shows the same thing, and trusting the presented key is refused.
      const tested = value(await m.handlers[hostsTest.id]({ draft: draft('hvB') }, caller));
      expect(tested).toMatchObject({ outcome: 'host-key-changed', knownFingerprint: hvB.connection.knownFingerprint });
      const k = hvB.connection.key;
      const trust = await m.handlers[hostsTrustKey.id]({ host: k.host, port: k.port, keyType: k.keyType, fingerprint: k.fingerprint }, caller);
      expect(trust).toMatchObject({ ok: false, error: { code: 'ssh.host-key-changed' } });
      expect(readFileSync(join(dataDir, 'known_hosts'), 'utf8')).not.toContain(k.fingerprint);
      // Other hosts are not held up by it.
      expect((await view(m, 'hvA')).connection.state).toBe('connected');
      await m.dispose();
    } finally {
      const restore = await labCommand(['rekey', 'hvB', '--restore']);
      expect(restore.code).toBe(0);
    }
  });

  it('marks hvC unreachable while its sshd is down, and hvA keeps refreshing', async () => {
    const stop = await labCommand(['stop', 'sshd', 'hvC']);
    expect(stop.code).toBe(0);
    try {
      const m = await newMain();
      value(await m.handlers[settingsSet.id]({ refreshIntervalSec: 2 }, caller));
      const events: InventoryEvent[] = [];
      const unsubscribe = m.handlers[inventoryWatch.id]({}, (e) => events.push(e), streamCtx);
      try {
        expect(events[0]?.type).toBe('snapshot');
        const hvC = await waitFor('hvC unreachable', async () => {
          const v = await view(m, 'hvC');
          return v.connection.state === 'unreachable' ? v : undefined;
        });
        expect(hvC.connection).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('refused the connection') });
        const hvA1 = await waitFor('hvA connected', async () => {
          const v = await view(m, 'hvA');
          return v.connection.state === 'connected' && v.refreshedAt !== undefined ? v : undefined;
        });
        // Two more rounds (2 s apart): hvA's refresh time moves on while hvC stays unreachable.
        const hvA2 = await waitFor('hvA refreshed again', async () => {
          const v = await view(m, 'hvA');
          return v.refreshedAt! > hvA1.refreshedAt! && Date.parse(v.refreshedAt!) - Date.parse(hvA1.refreshedAt!) >= 3000 ? v : undefined;
        }, 20_000);
        expect(hvA2.connection.state).toBe('connected');
        expect((await view(m, 'hvC')).connection.state).toBe('unreachable');
        // The stream announced hvC's state (it was idle -> connecting -> unreachable in this process).
        expect(events.some((e) => e.type === 'host' && e.host.record.name === 'hvC' && e.host.connection.state === 'unreachable')).toBe(true);
      } finally {
        unsubscribe();
      }
      expect(m.watch.polling).toBe(false);
      await m.dispose();
    } finally {
      const start = await labCommand(['start', 'sshd', 'hvC']);
      expect(start.code).toBe(0);
    }
  });

  it('finds hvC again once its sshd is back', async () => {
    const m = await newMain();
    await waitFor('hvC connected', async () => {
      value(await m.handlers[hostsRefresh.id]({}, caller));
      const v = await view(m, 'hvC');
      return v.connection.state === 'connected' ? v : undefined;
    });
    expect((await view(m, 'hvB')).connection.state).toBe('connected'); // its original key is back too
    await m.dispose();
  });

  it('says libvirt is unreachable on hvB while its libvirtd is down, keeps its VM list marked stale, and recovers', async () => {
    const m = await newMain();
    value(await m.handlers[hostsRefresh.id]({}, caller));
    const before = await view(m, 'hvB');
    expect(before.connection.state).toBe('connected');
    const stop = await labCommand(['stop', 'libvirtd', 'hvB']);
    expect(stop.code).toBe(0);
    try {
      // The connection Ferry already holds (its virsh session was connected to libvirtd)...
      value(await m.handlers[hostsRefresh.id]({}, caller));
      const hvB = await view(m, 'hvB');
      expect(hvB.connection).toMatchObject({ state: 'libvirt-unreachable', reason: expect.stringMatching(/libvirt/), detail: expect.stringContaining('libvirt-sock') });
      // ...keeps what it last read, with the time it read it, not a fresh time.
      expect(hvB.vms).toEqual(before.vms);
      expect(hvB.refreshedAt).toBe(before.refreshedAt);
      expect((await view(m, 'hvA')).connection.state).toBe('connected');
      // A Ferry started while libvirtd is down says the same, not "unreachable": sshd answers.
      // (A copy of the data directory: the running one is locked by the Ferry above.)
      const copy = mkdtempSync(join(tmpdir(), 'ferry-inventory-copy-'));
      cpSync(dataDir, copy, { recursive: true, filter: (f) => !f.endsWith('ferry.lock') });
      const fresh = await newMain(copy);
      value(await fresh.handlers[hostsRefresh.id]({}, caller));
      expect((await view(fresh, 'hvB')).connection).toMatchObject({ state: 'libvirt-unreachable', detail: expect.stringContaining('libvirt-sock') });
      await fresh.dispose();
      rmSync(copy, { recursive: true, force: true });
    } finally {
      const start = await labCommand(['start', 'libvirtd', 'hvB']);
      expect(start.code).toBe(0);
    }
    const back = await waitFor('hvB connected again', async () => {
      value(await m.handlers[hostsRefresh.id]({}, caller));
      const v = await view(m, 'hvB');
      return v.connection.state === 'connected' ? v : undefined;
    });
    expect(back.refreshedAt! > before.refreshedAt!).toBe(true);
  });

  it('closes every pool\'s SSH connection to hvB when hvB is removed: no sshd session of Ferry stays on hvB', async () => {
    // Only this Ferry may hold connections from this process, so that they can be counted.
    await Promise.all(mains.map((x) => x.dispose()));
    const m = await newMain();
    const hvBInfo = labHost(l, 'hvB');
    const target = { host: hvBInfo.ip, port: hvBInfo.port, user: hvBInfo.user };
    // Ferry's own client ports to hvB:22 (this process), and the sshd sessions on hvB whose peer is one of them.
    const ourPorts = (): string[] => {
      const out = execFileSync('ss', ['-tnpH', 'state', 'established', 'dst', `${hvBInfo.ip}`, 'dport', '=', ':22'], { encoding: 'utf8' });
      return out
        .split('\n')
        .filter((line) => line.includes(`pid=${process.pid},`))
        .map((line) => /\s(\S+):(\d+)\s+\S+:22\s/.exec(line)?.[2])
        .filter((p): p is string => p !== undefined);
    };
    const sshdSessionsFrom = async (ports: readonly string[]): Promise<number> => {
      const out = (await hx('hvB', ['ss', '-tnpH', 'state', 'established', 'sport', '=', ':22'])).stdout;
      return out.split('\n').filter((line) => ports.some((p) => line.includes(`:${p} `)) && line.includes('sshd')).length;
    };
    value(await m.handlers[hostsRefresh.id]({ id: (await view(m, 'hvB')).record.id }, caller));
    value(await m.pools.migrations.connect(target));
    value(await m.pools.network.connect(target));
    const ports = ourPorts();
    expect(ports).toHaveLength(3); // inventory, migrations, network
    expect(await sshdSessionsFrom(ports)).toBe(3);

    value(await m.handlers[hostsRemove.id]({ id: (await view(m, 'hvB')).record.id }, caller));
    expect(ourPorts()).toEqual([]);
    expect(await waitFor('sshd sessions on hvB to end', async () => ((await sshdSessionsFrom(ports)) === 0 ? 0 : undefined), 10_000)).toBe(0);
  });
});
