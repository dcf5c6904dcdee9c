import { describe, expect, it } from 'vitest';
import type { HostView } from '../../shared/inventory/types';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore } from '../../renderer/src/store';
import { reduceInventory } from '../../renderer/src/store/reduceInventory';

const facts = { hostname: 'a', libvirtVersion: '9.0.0', hypervisor: 'QEMU 7.2', cpuModel: 'x', cpuCount: 8, memoryBytes: 1, nics: [], collectedAt: 't' };
function view(id: string, extra: Partial<HostView> = {}): HostView {
  return {
    record: { id, name: id.toUpperCase(), address: '10.0.0.1', port: 22, user: 'root', auth: { kind: 'agent' }, addedAt: 't', source: 'manual' },
    connection: { state: 'connected', since: 't' },
    ...extra,
  };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('inventory events', () => {
  it('replaces everything on a snapshot, upserts on host, deletes on removed', () => {
    let hosts = reduceInventory({}, { type: 'snapshot', hosts: [view('a'), view('b')] });
    expect(Object.keys(hosts)).toEqual(['a', 'b']);
    hosts = reduceInventory(hosts, { type: 'host', host: view('c') });
    expect(Object.keys(hosts)).toEqual(['a', 'b', 'c']);
    hosts = reduceInventory(hosts, { type: 'removed', id: 'a' });
    expect(Object.keys(hosts)).toEqual(['b', 'c']);
    expect(reduceInventory(hosts, { type: 'removed', id: 'zz' })).toBe(hosts);
    expect(Object.keys(reduceInventory(hosts, { type: 'snapshot', hosts: [view('d')] }))).toEqual(['d']);
  });
  it('keeps the facts and VMs a host had while its new view has none (reconnecting), never blanking the list', () => {
    const loaded = view('a', { facts, vms: [{ name: 'vm1', state: 'running' }], refreshedAt: 'r1' });
    const hosts = reduceInventory({ a: loaded }, { type: 'host', host: view('a', { connection: { state: 'unreachable', reason: 'timed out' } }) });
    expect(hosts.a).toMatchObject({ connection: { state: 'unreachable' }, facts, vms: [{ name: 'vm1' }], refreshedAt: 'r1' });
    const fresh = reduceInventory(hosts, { type: 'host', host: view('a', { facts, vms: [], refreshedAt: 'r2' }) });
    expect(fresh.a?.vms).toEqual([]);
  });
  it('moves only the refresh time on a refreshed event, keeping the VM list object as it was', () => {
    const vms = [{ name: 'vm1', state: 'running' as const }];
    const hosts = { a: view('a', { facts, vms, refreshedAt: '2030-01-01T00:00:00.000Z' }) };
    const next = reduceInventory(hosts, { type: 'refreshed', id: 'a', at: '2030-01-01T00:00:10.000Z' });
    expect(next.a?.refreshedAt).toBe('2030-01-01T00:00:10.000Z');
    expect(next.a?.vms).toBe(vms);
    expect(reduceInventory(next, { type: 'refreshed', id: 'a', at: '2030-01-01T00:00:10.000Z' })).toBe(next);
    expect(reduceInventory(next, { type: 'refreshed', id: 'gone', at: 'x' })).toBe(next);
  });
});

describe('inventory store', () => {
  it('subscribes while something watches and unsubscribes when the last watcher leaves', async () => {
    const api = createFakeApi({ latencyMs: 0, vmsPerHost: [3, 2, 1] });
    const store = createFerryStore(api);
    const release1 = store.getState().watchInventory();
    const release2 = store.getState().watchInventory();
    await tick();
    expect(api.subscriberCount()).toBe(1);
    expect(store.getState().inventory.loaded).toBe(true);
    expect(Object.values(store.getState().inventory.hosts).map((h) => h.vms?.length)).toEqual([3, 2, 1]);
    release1();
    release1();
    await tick();
    expect(api.subscriberCount()).toBe(1);
    release2();
    await tick();
    expect(api.subscriberCount()).toBe(0);
    expect(store.getState().inventory.watch).toEqual({ status: 'idle' });
  });
  it('does not close and reopen the stream when a view unmounts and mounts at once (React StrictMode)', async () => {
    let subscribes = 0;
    const api = createFakeApi({ latencyMs: 0 });
    const counting = { ...api, subscribe: ((...args: Parameters<typeof api.subscribe>) => (subscribes++, api.subscribe(...args))) as typeof api.subscribe };
    const store = createFerryStore(counting);
    store.getState().watchInventory()();
    const release = store.getState().watchInventory();
    await tick();
    expect(subscribes).toBe(1);
    release();
  });
  it('applies host and removed events live and drops the selection of a removed host', async () => {
    const api = createFakeApi({ latencyMs: 0, vmsPerHost: [1, 1, 1] });
    const store = createFerryStore(api);
    const release = store.getState().watchInventory();
    await tick();
    const [first] = Object.keys(store.getState().inventory.hosts);
    if (first === undefined) throw new Error('no hosts');
    store.getState().selectHost(first);
    store.getState().setTab('details');
    // The fake delivers events as a transport does: after the call that caused them.
    api.emit({ type: 'host', host: view('new') });
    await tick();
    expect(store.getState().inventory.hosts.new?.record.name).toBe('NEW');
    api.emit({ type: 'removed', id: first });
    await tick();
    expect(store.getState().ui).toMatchObject({ selectedHostId: null, tab: 'vms' });
    release();
  });
  it('records a stream that main ended, and reconnects on request while the view is still there', async () => {
    const ends: ((e?: { code: 'ipc.transport'; message: string }) => void)[] = [];
    const api = createFakeApi({ latencyMs: 0 });
    const store = createFerryStore({ ...api, subscribe: (def, params, onEvent, onEnd) => (onEnd && ends.push(onEnd), api.subscribe(def, params, onEvent)) });
    const release = store.getState().watchInventory();
    ends[0]?.({ code: 'ipc.transport', message: 'socket closed' });
    expect(store.getState().inventory.watch).toEqual({ status: 'ended', error: { code: 'ipc.transport', message: 'socket closed' } });
    store.getState().reconnectInventory();
    expect(store.getState().inventory.watch).toEqual({ status: 'watching' });
    expect(ends).toHaveLength(2);
    release();
  });
  it('shows a failed refresh as an error notice and a thrown transport error as ipc.transport', async () => {
    const api = createFakeApi({ latencyMs: 0 });
    const store = createFerryStore({ ...api, invoke: () => Promise.reject(new Error('socket closed')) }, { infoNoticeMs: 0 });
    await store.getState().refreshHost('h1');
    expect(store.getState().notices).toMatchObject([{ tone: 'error', code: 'ipc.transport', message: 'Refresh failed: Ferry lost contact with its back end: socket closed' }]);
    expect(store.getState().inventory.pending).toEqual({});
    store.getState().dismissNotice(store.getState().notices[0]?.id ?? -1);
    expect(store.getState().notices).toEqual([]);
  });
  it('asks for the app info once even when the transport opens while it is on its way', async () => {
    let calls = 0;
    const api = createFakeApi({ latencyMs: 0 });
    const store = createFerryStore({ ...api, invoke: (def, input) => (def.id === 'ferry.app.info' && calls++, api.invoke(def, input)) });
    store.getState().setTransportStatus('connecting');
    const first = store.getState().loadAppInfo();
    store.getState().setTransportStatus('open');
    await first;
    expect(calls).toBe(1);
    expect(store.getState().app.info?.mode).toBe('web');
  });
  it('unlocks a saved host with its passphrase and reports a wrong one', async () => {
    const api = createFakeApi({ latencyMs: 0, scenario: 'problems', vmsPerHost: [1, 1, 1] });
    const store = createFerryStore(api);
    const locked = [...api.hosts.values()].find((h) => h.connection.state === 'passphrase-needed');
    if (!locked) throw new Error('no locked host');
    expect((await store.getState().unlockHost(locked.record.id, 'nope'))?.code).toBe('ssh.auth-failed');
    expect(await store.getState().unlockHost(locked.record.id, 'secret')).toBeNull();
    expect(api.hosts.get(locked.record.id)?.connection.state).toBe('connected');
  });
  it('removes a host after confirmation and says nothing changed on the host', async () => {
    const api = createFakeApi({ latencyMs: 0, vmsPerHost: [1, 1, 1] });
    const store = createFerryStore(api, { infoNoticeMs: 0 });
    const release = store.getState().watchInventory();
    await tick();
    const id = Object.keys(store.getState().inventory.hosts)[0] ?? '';
    store.getState().openRemoveHost(id);
    expect(store.getState().dialog).toEqual({ kind: 'confirm-remove', hostId: id, busy: false });
    await store.getState().confirmRemoveHost();
    expect(store.getState().dialog).toBeNull();
    expect(store.getState().inventory.hosts[id]).toBeUndefined();
    expect(store.getState().notices[0]?.message).toBe('Removed hvA from Ferry. Nothing was changed on the host.');
    release();
  });
});
