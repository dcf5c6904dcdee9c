/**
 * The inventory service and its watch stream, with the SSH side faked (inventory-fakes.ts) and real lab captures as
 * the hosts' answers: adding, trusting only the presented key, connection states, refresh scheduling, change events
 * and polling only while someone watches.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Credentials } from '../../electron/main/inventory/credentials';
import { InventoryService } from '../../electron/main/inventory/service';
import { signature } from '../../electron/main/inventory/runtime';
import { connectionStateFor } from '../../electron/main/inventory/states';
import { InventoryStore } from '../../electron/main/inventory/store';
import { createInventoryWatch } from '../../electron/main/inventory/watch';
import { ferryError } from '../../shared/errors';
import type { HostDraft } from '../../shared/inventory/types';
import type { InventoryEvent } from '../../shared/ipc/contract';
import { FakeNetwork, KEY_BASE64, KEY_FINGERPRINT, timerClock, unknownKeyError, fixture } from './inventory-fakes';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const draft = (name: string, address: string, extra: Partial<HostDraft> = {}): HostDraft => ({ name, address, port: 22, user: 'root', auth: { kind: 'agent' }, ...extra });

async function setup(o: { hostTimeoutMs?: number; connectTimeoutMs?: number; dir?: string; wallClock?: () => number } = {}) {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'ferry-inv-'));
  if (!o.dir) dirs.push(dir);
  const store = await InventoryStore.open({ dataDir: dir });
  const net = new FakeNetwork(timerClock);
  const logs: string[] = [];
  const logger = {
    debug: (e: string, f?: Record<string, unknown>) => void logs.push(`${e} ${JSON.stringify(f)}`),
    warn: (e: string, f?: Record<string, unknown>) => void logs.push(`${e} ${JSON.stringify(f)}`),
  };
  const credentials = new Credentials({ homeDir: dir, env: { SSH_AUTH_SOCK: '/run/fake-agent.sock' } });
  const service = new InventoryService({
    store,
    credentials,
    backend: () => net.backend(),
    probeBackend: () => net.backend(),
    clock: timerClock,
    logger,
    hostTimeoutMs: o.hostTimeoutMs ?? 30_000,
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    ...(o.wallClock ? { wallClock: o.wallClock } : {}),
  });
  const events: InventoryEvent[] = [];
  service.onEvent((e) => events.push(e));
  return { dir, store, net, logs, service, events };
}

describe('adding hosts', () => {
  it('shows an unknown host key as an answer, trusts it, then saves a host that answered with its facts and VMs', async () => {
    const { net, service, store } = await setup();
    net.add('10.77.0.11', { trusted: false });
    const first = await service.test(draft('hvA', '10.77.0.11'));
    expect(first).toEqual({
      ok: true,
      value: { outcome: 'host-key-unknown', key: { host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT } },
    });
    const refused = await service.add(draft('hvA', '10.77.0.11'));
    expect(refused).toMatchObject({ ok: false, error: { code: 'ssh.host-key-unknown' } });
    expect(store.value.hosts).toEqual([]);

    expect(await service.trustKey({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT })).toEqual({ ok: true, value: {} });
    const added = await service.add(draft('hvA', '10.77.0.11'));
    expect(added.ok).toBe(true);
    const [view] = service.views();
    expect(view?.connection.state).toBe('connected');
    expect(view?.facts).toMatchObject({ hostname: 'hvA', hypervisor: 'QEMU 7.2.22', libvirtVersion: '9.0.0', cpuModel: 'AMD EPYC', cpuCount: 2 });
    expect(view?.facts?.nics).toEqual([
      { name: 'eth0', mtu: 9000, speedMbps: 10000, operState: 'up', addresses: ['10.77.0.11/24'], role: 'management' },
      { name: 'mig0', mtu: 9000, speedMbps: 10000, operState: 'up', addresses: ['10.77.2.11/24'], role: 'migration' },
    ]);
    expect(view?.vms).toEqual([
      { name: 'vmd', state: 'running', memoryBytes: 256 * 1024 * 1024, vcpus: 1, persistent: true, autostart: false },
      { name: 'vm1', state: 'running', memoryBytes: 128 * 1024 * 1024, vcpus: 1, persistent: true, autostart: false },
    ]);
    expect(store.value.hosts.map((h) => h.name)).toEqual(['hvA']);
  });

  it('refuses a second host with the same name or the same user@address:port', async () => {
    const { net, service } = await setup();
    net.add('10.77.0.11');
    expect((await service.add(draft('hvA', '10.77.0.11'))).ok).toBe(true);
    expect(await service.add(draft('HVA', '10.77.0.99'))).toMatchObject({ ok: false, error: { code: 'inventory.duplicate' } });
    expect(await service.add(draft('other', '10.77.0.11'))).toMatchObject({ ok: false, error: { code: 'inventory.duplicate' } });
    expect((await service.add(draft('other', '10.77.0.11', { user: 'admin' }))).ok).toBe(true);
  });

  it('reports an unreachable host as an error a person understands, and saves nothing', async () => {
    const { net, service, store } = await setup();
    net.add('10.77.1.13').behaviour = ferryError('ssh.unreachable', '10.77.1.13:22 refused the connection: nothing listens on that port (is sshd running, is the port right?).');
    const r = await service.test(draft('hvC', '10.77.1.13'));
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.unreachable', message: expect.stringContaining('is sshd running') } });
    expect((await service.add(draft('hvC', '10.77.1.13'))).ok).toBe(false);
    expect(store.value.hosts).toEqual([]);
  });
});

describe('trusting host keys', () => {
  it('accepts only the key Ferry itself was last shown for that host and port', async () => {
    const { net, service } = await setup();
    net.add('10.77.0.11', { trusted: false });
    // Nothing shown yet: nothing to trust.
    expect(await service.trustKey({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT })).toMatchObject({
      ok: false,
      error: { code: 'input.invalid', message: expect.stringContaining('test the connection first') },
    });
    await service.test(draft('hvA', '10.77.0.11'));
    // Another fingerprint, another type, another port: refused, nothing written.
    for (const bad of [
      { host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { host: '10.77.0.11', port: 22, keyType: 'ssh-rsa', fingerprint: KEY_FINGERPRINT },
      { host: '10.77.0.11', port: 2222, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT },
    ]) {
      expect((await service.trustKey(bad)).ok).toBe(false);
    }
    expect(net.trustCalls).toEqual([]);
    // The one shown: trusted, with the key blob main holds (the renderer never sends a key).
    expect((await service.trustKey({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT })).ok).toBe(true);
    expect(net.trustCalls).toEqual([{ target: { host: '10.77.0.11', port: 22, user: 'root' }, keyBase64: KEY_BASE64 }]);
    // Used once: a second confirmation needs a new showing.
    expect((await service.trustKey({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT })).ok).toBe(false);
  });
});

describe('connection states', () => {
  it('sorts the pool errors into the states the UI shows, each with its reason', () => {
    const e = (code: Parameters<typeof ferryError>[0]) => ferryError(code, `msg ${code}`, 'raw');
    expect(connectionStateFor(e('ssh.unreachable'), 'connect')).toEqual({ state: 'unreachable', reason: 'msg ssh.unreachable', detail: 'raw' });
    expect(connectionStateFor(e('ssh.timeout'), 'connect')?.state).toBe('unreachable');
    expect(connectionStateFor(e('command.timeout'), 'connect')?.state).toBe('unreachable');
    expect(connectionStateFor(e('ssh.disconnected'), 'command')?.state).toBe('unreachable');
    expect(connectionStateFor(e('ssh.auth-failed'), 'connect')).toEqual({ state: 'auth-failed', reason: 'msg ssh.auth-failed', detail: 'raw' });
    expect(connectionStateFor(unknownKeyError('10.0.0.1', 22), 'connect')).toMatchObject({
      state: 'host-key-unknown',
      key: { host: '10.0.0.1', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT },
    });
    const changed = {
      code: 'ssh.host-key-changed' as const,
      message: 'CHANGED',
      hostKey: { ...unknownKeyError('10.0.0.1', 22).hostKey, knownFingerprint: 'SHA256:old', knownHostsFile: '/home/u/.ssh/known_hosts' },
    };
    expect(connectionStateFor(changed, 'connect')).toEqual({
      state: 'host-key-changed',
      reason: 'CHANGED',
      key: { host: '10.0.0.1', port: 22, keyType: 'ssh-ed25519', fingerprint: KEY_FINGERPRINT },
      knownFingerprint: 'SHA256:old',
      knownIn: '/home/u/.ssh/known_hosts',
    });
    expect(connectionStateFor(e('ssh.host-key-revoked'), 'connect')?.state).toBe('error');
    // A virsh failure on a working connection is a problem of the host, not a connection state.
    expect(connectionStateFor(e('libvirt.error'), 'command')).toBeUndefined();
    expect(connectionStateFor(e('command.timeout'), 'command')).toBeUndefined();
  });

  it('keeps the last facts and VMs of a host that stops answering, and says why', async () => {
    const { net, service } = await setup();
    const h = net.add('10.77.1.13');
    await service.add(draft('hvC', '10.77.1.13'));
    const before = service.views()[0]!;
    h.behaviour = ferryError('ssh.unreachable', '10.77.1.13:22 refused the connection.');
    await service.refreshAll();
    const after = service.views()[0]!;
    expect(after.connection).toEqual({ state: 'unreachable', reason: '10.77.1.13:22 refused the connection.' });
    expect(after.facts).toEqual(before.facts);
    expect(after.vms).toEqual(before.vms);
    expect(after.refreshedAt).toBe(before.refreshedAt);
  });

  it('shows a libvirt failure on a working connection (libvirtd answering) as the host problem, with libvirt text, state connected', async () => {
    const { net, service } = await setup();
    const h = net.add('10.77.0.11');
    await service.add(draft('hvA', '10.77.0.11'));
    h.runner.outputs.set('virsh --connect qemu:///system list --all', 'error: internal error: client socket is closed for a test\n');
    await service.refreshAll();
    const v = service.views()[0]!;
    expect(v.connection.state).toBe('connected');
    expect(v.problem?.detail).toContain('internal error');
    expect(v.vms).toHaveLength(2); // what it showed before
  });
});

describe('refreshing', () => {
  it('sends only a small refreshed event when a refresh changes nothing but timestamps, and the host when something changes', async () => {
    let wall = Date.parse('2030-01-01T00:00:00Z');
    const { net, service, events } = await setup({ wallClock: () => wall });
    const h = net.add('10.77.0.11');
    const added = await service.add(draft('hvA', '10.77.0.11'));
    const id = added.ok ? added.value.id : '';
    await service.refreshAll(); // same wall-clock time as the add: nothing at all to say
    events.length = 0;
    wall += 10_000;
    await service.refreshAll();
    expect(events.map((e) => e.type)).toEqual(['refreshed']);
    expect(events[0]).toEqual({ type: 'refreshed', id, at: '2030-01-01T00:00:10.000Z' });
    expect(service.views().find((v) => v.record.id === id)?.refreshedAt).toBe('2030-01-01T00:00:10.000Z');
    events.length = 0;
    h.runner.outputs.set('virsh --connect qemu:///system list --all', fixture('virsh/list-all-paused.txt').replace(/ferryfx/g, 'vm1'));
    await service.refreshAll();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'host' });
  });

  it('reads VMs on every refresh but facts only when due, on reconnection or when asked', async () => {
    vi.useFakeTimers();
    const { net, service } = await setup();
    const h = net.add('10.77.0.11');
    const added = await service.add(draft('hvA', '10.77.0.11'));
    const id = added.ok ? added.value.id : '';
    const versionCalls = () => h.runner.ran.filter((c) => c.endsWith(' version')).length;
    const listCalls = () => h.runner.ran.filter((c) => c.endsWith(' list --all')).length;
    const v0 = versionCalls();
    const l0 = listCalls();
    await service.refreshAll();
    await service.refreshAll();
    expect([versionCalls() - v0, listCalls() - l0]).toEqual([0, 2]);
    await vi.advanceTimersByTimeAsync(60_000);
    await service.refreshAll();
    expect(versionCalls() - v0).toBe(1); // due after 60 s
    await service.refreshOne(id);
    expect(versionCalls() - v0).toBe(2); // asked for
    h.behaviour = ferryError('ssh.unreachable', 'gone');
    await service.refreshAll();
    h.behaviour = 'answer';
    await service.refreshAll();
    expect(versionCalls() - v0).toBe(3); // back after a failure
  });

  it('ignores refresh timestamps when comparing views', () => {
    const base = { record: { ...draft('a', '1.2.3.4'), id: 'x', addedAt: 't', source: 'manual' as const }, connection: { state: 'idle' as const } };
    expect(signature({ ...base, refreshedAt: '1' })).toBe(signature({ ...base, refreshedAt: '2' }));
  });

  it('never blocks on a dead host: the others refresh every round, and the dead one is skipped while its attempt runs', async () => {
    vi.useFakeTimers();
    // A silent host (a black hole): the connect attempt itself outlives several rounds.
    const { net, service } = await setup({ hostTimeoutMs: 30_000, connectTimeoutMs: 60_000 });
    const a = net.add('10.77.0.11');
    const c = net.add('10.77.1.13');
    await service.add(draft('hvA', '10.77.0.11'));
    await service.add(draft('hvC', '10.77.1.13'));
    c.behaviour = 'hang';
    const connectsA = a.connects;
    const connectsC = c.connects;
    for (let round = 0; round < 3; round++) {
      const r = service.refreshAll({ budgetMs: 5_000 });
      await vi.advanceTimersByTimeAsync(5_000);
      await r;
    }
    expect(a.connects - connectsA).toBe(3);
    expect(c.connects - connectsC).toBe(1); // still the first attempt, not queued again
    expect(service.isRefreshing(service.views()[1]!.record.id)).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(service.views()[1]!.connection).toMatchObject({ state: 'unreachable', reason: expect.stringContaining('did not answer within 30 s') });
    expect(service.views()[0]!.connection.state).toBe('connected');
  });
});

describe('inventory.watch', () => {
  it('sends a snapshot first, polls only while someone is subscribed, and stops when the last one leaves', async () => {
    vi.useFakeTimers();
    const { net, service } = await setup();
    const h = net.add('10.77.0.11');
    await service.add(draft('hvA', '10.77.0.11'));
    const watch = createInventoryWatch(service, timerClock, (e) => {
      throw e;
    });
    const base = h.connects;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.connects).toBe(base); // nobody watching: no polling

    const seen1: InventoryEvent[] = [];
    const seen2: InventoryEvent[] = [];
    const off1 = watch.subscribe((e) => seen1.push(e));
    expect(seen1[0]).toMatchObject({ type: 'snapshot', hosts: [{ record: { name: 'hvA' } }] });
    const off2 = watch.subscribe((e) => seen2.push(e));
    expect(seen2).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000); // 10 s interval: rounds at 0, 10, 20, 30 s
    expect(h.connects - base).toBe(4);
    expect(watch.polling).toBe(true);
    off1();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.connects - base).toBe(5); // one subscriber left: still polling
    off2();
    expect(watch.polling).toBe(false);
    const stoppedAt = h.connects;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.connects).toBe(stoppedAt);
    // A new subscriber starts it again, at once.
    const off3 = watch.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.connects).toBe(stoppedAt + 1);
    off3();
    watch.dispose();
  });

  it('passes change and removal events to every subscriber', async () => {
    const { net, service } = await setup();
    net.add('10.77.0.11');
    net.add('10.77.0.12');
    const watch = createInventoryWatch(service, timerClock, (e) => {
      throw e;
    });
    const seen: InventoryEvent[] = [];
    const off = watch.subscribe((e) => seen.push(e));
    const added = await service.add(draft('hvB', '10.77.0.12'));
    expect(seen.at(-1)).toMatchObject({ type: 'host', host: { record: { name: 'hvB' } } });
    if (added.ok) await service.remove(added.value.id);
    expect(seen.at(-1)).toEqual({ type: 'removed', id: added.ok ? added.value.id : '' });
    off();
    watch.dispose();
  });
});

describe('passphrases', () => {
  it('are held in memory only: never saved, logged or shown, and asked again after a restart', async () => {
    const { dir, net, service, logs, events, store } = await setup();
    net.add('10.77.0.11');
    const keyPath = join(dir, 'id_enc');
    const passphrase = 'sw0rdfish-and-chips';
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', keyPath]);
    const d = draft('hvA', '10.77.0.11', { auth: { kind: 'key', keyPath } });
    expect(await service.test(d)).toEqual({ ok: true, value: { outcome: 'passphrase-needed' } });
    expect(await service.test(d, 'wrong one')).toEqual({ ok: true, value: { outcome: 'passphrase-needed' } });
    const added = await service.add(d, 'manual', passphrase);
    expect(added).toMatchObject({ ok: true, value: { auth: { kind: 'key', keyPath, encrypted: true } } });
    await service.refreshAll();
    expect(service.views()[0]!.connection.state).toBe('connected');

    const everything = [readFileSync(store.path, 'utf8'), JSON.stringify(service.views()), JSON.stringify(events), logs.join('\n')].join('\n');
    expect(everything).not.toContain(passphrase);

    // A restart: same data directory, a new process memory.
    const again = await setup({ dir });
    again.net.add('10.77.0.11');
    await again.service.refreshAll();
    const v = again.service.views()[0]!;
    expect(v.connection).toMatchObject({ state: 'passphrase-needed', reason: expect.stringContaining('encrypted') });
    expect(await again.service.unlock(v.record.id, 'nope')).toMatchObject({ ok: false, error: { code: 'ssh.auth-failed' } });
    expect(await again.service.unlock(v.record.id, passphrase)).toEqual({ ok: true, value: {} });
    expect(again.service.views()[0]!.connection.state).toBe('connected');
  });
});

describe('releasing connections', () => {
  it('tells the other pools to close a target no saved host uses any more (removed, or moved to another address)', async () => {
    const { net, service } = await setup();
    net.add('10.77.0.11');
    net.add('10.77.0.12');
    net.add('10.77.0.13');
    const released: string[] = [];
    service.onTargetReleased(async (t) => void released.push(`${t.user}@${t.host}:${t.port}`));
    const a = await service.add(draft('hvA', '10.77.0.11'));
    const b = await service.add(draft('hvB', '10.77.0.12'));
    if (!a.ok || !b.ok) throw new Error('setup');
    expect(await service.update(a.value.id, draft('hvA', '10.77.0.13'))).toMatchObject({ ok: true });
    expect(released).toEqual(['root@10.77.0.11:22']);
    // A change that keeps the target (the name) releases nothing.
    expect(await service.update(b.value.id, draft('hvB2', '10.77.0.12'))).toMatchObject({ ok: true });
    expect(released).toEqual(['root@10.77.0.11:22']);
    await service.remove(b.value.id);
    expect(released).toEqual(['root@10.77.0.11:22', 'root@10.77.0.12:22']);
    expect(net.closed).toEqual(['10.77.0.11', '10.77.0.12']);
  });
});

describe('editing a saved host', () => {
  it('saves NIC roles the admin set, shows them over the inferred ones, and does not reconnect for them', async () => {
    const { net, service, store } = await setup();
    net.add('10.77.0.11');
    const added = await service.add(draft('hvA', '10.77.0.11'));
    if (!added.ok) throw new Error('setup');
    const connectsBefore = net.hosts.get('10.77.0.11')!.connects;
    const r = await service.update(added.value.id, draft('hvA', '10.77.0.11', { nicRoles: { mig0: 'other', eth0: 'management' } }));
    expect(r).toMatchObject({ ok: true, value: { nicRoles: { mig0: 'other', eth0: 'management' } } });
    expect(store.value.hosts[0]?.nicRoles).toEqual({ mig0: 'other', eth0: 'management' });
    const nics = service.views()[0]?.facts?.nics.map((n) => [n.name, n.role]);
    expect(nics).toEqual([
      ['eth0', 'management'],
      ['mig0', 'other'],
    ]);
    expect(net.hosts.get('10.77.0.11')!.connects).toBe(connectsBefore);
    expect(net.closed).toEqual([]);
  });

  it('saves maintenance mode with the host (kept over a restart and an edit), keeps its first since, and clears it', async () => {
    let now = Date.parse('2026-12-08T01:00:00.000Z');
    const { net, service, store, dir, events } = await setup({ wallClock: () => now });
    net.add('10.77.0.11');
    const added = await service.add(draft('hvA', '10.77.0.11'));
    if (!added.ok) throw new Error('setup');
    const id = added.value.id;
    expect(await service.setMaintenance(id, true)).toMatchObject({ ok: true, value: { maintenance: { since: '2026-12-08T01:00:00.000Z' } } });
    expect(events.at(-1)).toMatchObject({ type: 'host', host: { record: { maintenance: { since: '2026-12-08T01:00:00.000Z' } } } });
    now += 60_000;
    await service.setMaintenance(id, true);
    expect(store.value.hosts[0]?.maintenance).toEqual({ since: '2026-12-08T01:00:00.000Z' });
    await service.update(id, draft('hvA', '10.77.0.11', { nicRoles: { mig0: 'other' } }));
    expect(service.views()[0]?.record.maintenance).toEqual({ since: '2026-12-08T01:00:00.000Z' });
    const reopened = await InventoryStore.open({ dataDir: dir });
    expect(reopened.value.hosts[0]?.maintenance).toEqual({ since: '2026-12-08T01:00:00.000Z' });
    const cleared = await service.setMaintenance(id, false);
    expect(cleared.ok && cleared.value.maintenance).toBe(undefined);
    expect(service.views()[0]?.record.maintenance).toBeUndefined();
    expect((await InventoryStore.open({ dataDir: dir })).value.hosts[0]?.maintenance).toBeUndefined();
    expect(await service.setMaintenance('nope', true)).toMatchObject({ ok: false, error: { code: 'inventory.not-found' } });
  });

  it('tests a changed address before saving it, and keeps the old record when the new one does not answer', async () => {
    const { net, service, store } = await setup();
    net.add('10.77.0.11');
    const added = await service.add(draft('hvA', '10.77.0.11'));
    if (!added.ok) throw new Error('setup');
    const r = await service.update(added.value.id, draft('hvA', '10.77.0.99'));
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.unreachable' } });
    expect(store.value.hosts[0]?.address).toBe('10.77.0.11');
    expect(service.views()[0]?.connection.state).toBe('connected');
  });
});

describe('a host whose libvirtd does not answer', () => {
  it('says "libvirt unreachable" with libvirt’s text, keeps its VM list as last read, and recovers', async () => {
    let wall = Date.parse('2026-12-07T14:00:00.000Z');
    const { net, service } = await setup({ wallClock: () => wall });
    const h = net.add('10.77.0.12');
    const added = await service.add(draft('hvB', '10.77.0.12'));
    if (!added.ok) throw new Error('setup');
    const before = service.views()[0]!;
    expect(before.connection.state).toBe('connected');
    // What virsh printed on hvB with libvirtd stopped (a real capture).
    h.runner.virshFails = fixture('virsh/list-all-error-libvirtd-down.txt');
    wall += 60_000;
    await service.refreshOne(added.value.id);
    const down = service.views()[0]!;
    expect(down.connection).toEqual({
      state: 'libvirt-unreachable',
      reason: "libvirtd does not answer: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
      detail: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
    });
    expect(down.vms).toEqual(before.vms);
    expect(down.refreshedAt).toBe(before.refreshedAt);
    expect(down.problem).toBeUndefined();
    h.runner.virshFails = undefined;
    wall += 60_000;
    await service.refreshOne(added.value.id);
    const back = service.views()[0]!;
    expect(back.connection.state).toBe('connected');
    expect(back.refreshedAt).toBe('2026-12-07T14:02:00.000Z');
  });

  it('sorts libvirt’s words for a lost libvirtd from other virsh failures', () => {
    const gone = { code: 'libvirt.error' as const, message: 'virsh failed', detail: 'error: Failed to reconnect to the hypervisor\nerror: no valid connection' };
    expect(connectionStateFor(gone, 'command')).toMatchObject({ state: 'libvirt-unreachable', reason: 'libvirtd does not answer: no valid connection' });
    expect(connectionStateFor({ code: 'libvirt.no-domain', message: 'No such domain', detail: "error: failed to get domain 'x'" }, 'command')).toBeUndefined();
    expect(connectionStateFor(ferryError('command.failed', 'Failed to connect socket to x'), 'command')).toBeUndefined();
  });
});
