import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { hostsList } from '../../shared/ipc/contract';
import { createFerryStore, type AddHostDialog, type FerryStore } from '../../renderer/src/store';

/** A store watching the fake's inventory (hvA, hvB, hvC), as it is while the console is on screen. */
async function setup() {
  const api = createFakeApi({ latencyMs: 0, vmsPerHost: [2, 2, 2] });
  const store = createFerryStore(api, { infoNoticeMs: 0 });
  store.getState().watchInventory();
  await new Promise((r) => setTimeout(r, 0));
  return { api, store };
}
function dialog(store: FerryStore): AddHostDialog {
  const d = store.getState().dialog;
  if (d?.kind !== 'add-host') throw new Error(`expected the add-host dialog, got ${d?.kind ?? 'none'}`);
  return d;
}
function fill(store: FerryStore, fields: Record<string, string>) {
  for (const [k, v] of Object.entries(fields)) store.getState().editHostField(k as 'name', v);
}

describe('add host flow', () => {
  it('validates before testing and shows one message per field', async () => {
    const { store } = await setup();
    store.getState().openAddHost();
    fill(store, { name: 'hvA', port: 'x' });
    await store.getState().testConnection();
    expect(dialog(store).phase).toBe('editing');
    expect(dialog(store).errors).toMatchObject({ name: expect.stringMatching(/already in Ferry/), address: expect.any(String), port: expect.any(String) });
    store.getState().editHostField('port', '22');
    expect(dialog(store).errors.port).toBeUndefined();
  });

  it('shows a new host’s key, trusts it, tests again by itself, then saves and selects the host', async () => {
    const { store } = await setup();
    store.getState().openAddHost();
    fill(store, { name: 'hvD', address: '10.77.0.14' });
    const testing = store.getState().testConnection();
    expect(dialog(store).phase).toBe('testing');
    await testing;
    const unknown = dialog(store).outcome;
    expect(unknown).toMatchObject({ outcome: 'host-key-unknown', key: { keyType: 'ssh-ed25519', fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/) } });
    await store.getState().trustPresentedKey();
    expect(dialog(store)).toMatchObject({ phase: 'editing', outcome: { outcome: 'ok', facts: { libvirtVersion: '9.0.0' } } });
    await store.getState().saveHost();
    expect(store.getState().dialog).toBeNull();
    const added = Object.values(store.getState().inventory.hosts).find((h) => h.record.name === 'hvD');
    expect(added?.facts?.hypervisor).toBe('QEMU 7.2.22');
    expect(store.getState().ui.selectedHostId).toBe(added?.record.id);
    expect(store.getState().notices.map((n) => n.message)).toEqual(['Added hvD.']);
  });

  it('refuses a changed key: no trust is possible from the dialog', async () => {
    const { store } = await setup();
    store.getState().openAddHost();
    fill(store, { name: 'edge', address: '10.77.0.66' });
    await store.getState().testConnection();
    expect(dialog(store).outcome).toMatchObject({ outcome: 'host-key-changed', knownFingerprint: expect.stringMatching(/^SHA256:/) });
    await store.getState().trustPresentedKey();
    await store.getState().saveHost();
    expect(dialog(store).outcome?.outcome).toBe('host-key-changed');
  });

  it('asks for the passphrase of an encrypted key, reports a wrong one and passes the right one to save', async () => {
    const { store } = await setup();
    store.getState().openAddHost();
    fill(store, { name: 'hvA2', address: '10.77.0.11', authKind: 'key', keyPath: '/root/.ssh/id_encrypted' });
    await store.getState().testConnection();
    expect(dialog(store)).toMatchObject({ askPassphrase: true, outcome: { outcome: 'passphrase-needed' } });
    store.getState().setPassphrase('wrong');
    await store.getState().testConnection();
    expect(dialog(store).error?.message).toMatch(/does not unlock/);
    store.getState().setPassphrase('secret');
    await store.getState().testConnection();
    expect(dialog(store).outcome?.outcome).toBe('ok');
    await store.getState().saveHost();
    expect(store.getState().dialog).toBeNull();
  });

  it('shows an unreachable host as an error with its detail, and an edit clears the old answer', async () => {
    const { store } = await setup();
    store.getState().openAddHost();
    fill(store, { name: 'gone', address: '10.99.0.1' });
    await store.getState().testConnection();
    expect(dialog(store).error).toMatchObject({ code: 'ssh.unreachable', detail: 'connect ETIMEDOUT 10.99.0.1:22' });
    store.getState().editHostField('address', '10.77.0.11');
    expect(dialog(store).error).toBeUndefined();
    expect(dialog(store).outcome).toBeUndefined();
  });

  it('drops an answer that arrives after the dialog was closed', async () => {
    const { store } = await setup();
    store.getState().openAddHost();
    fill(store, { name: 'late', address: '10.77.0.11' });
    const pending = store.getState().testConnection();
    store.getState().closeDialog();
    store.getState().openAddHost();
    await pending;
    expect(dialog(store).outcome).toBeUndefined();
    expect(dialog(store).phase).toBe('editing');
  });
});

describe('import from ssh config', () => {
  it('lists candidates, preselects the new ones, and walks the chosen ones through the add flow one by one', async () => {
    const { store } = await setup();
    store.getState().openImport();
    await store.getState().readSshConfig();
    const d = store.getState().dialog;
    if (d?.kind !== 'import') throw new Error('import dialog');
    expect(d.result?.candidates.map((c) => c.alias)).toEqual(['hvC', 'hvx', 'edge-1']);
    expect(d.selected).toEqual([1, 2]); // hvC is already in Ferry
    expect(d.result?.candidates[2]?.warnings[0]).toMatch(/ProxyJump/);
    store.getState().importSelected();
    expect(dialog(store)).toMatchObject({ source: 'ssh-config', fields: { name: 'hvx', authKind: 'key' }, queue: { index: 0 } });
    await store.getState().testConnection();
    await store.getState().trustPresentedKey();
    await store.getState().saveHost();
    expect(dialog(store)).toMatchObject({ fields: { name: 'edge-1', user: 'admin' }, queue: { index: 1 }, warnings: [expect.stringMatching(/ProxyJump/)] });
    store.getState().skipCandidate();
    expect(store.getState().dialog).toBeNull();
    const added = Object.values(store.getState().inventory.hosts).find((h) => h.record.name === 'hvx');
    expect(added?.record.source).toBe('ssh-config');
  });

  it('shows an unreadable config as an error and keeps the dialog editable', async () => {
    const { store } = await setup();
    store.getState().openImport();
    store.getState().setImportPath('/nowhere/missing');
    await store.getState().readSshConfig();
    expect(store.getState().dialog).toMatchObject({ kind: 'import', phase: 'editing', error: { code: 'ssh-config.unreadable' } });
  });
});

describe('settings', () => {
  it('loads and saves the settings through the contract', async () => {
    const { store } = await setup();
    await store.getState().openSettings();
    expect(store.getState().dialog).toMatchObject({ kind: 'settings', phase: 'ready', settings: { trustUserKnownHosts: false } });
    await store.getState().saveSettings({ trustUserKnownHosts: true, refreshIntervalSec: 30 });
    expect(store.getState().dialog).toBeNull();
    await store.getState().openSettings();
    expect(store.getState().dialog).toMatchObject({ settings: { trustUserKnownHosts: true, refreshIntervalSec: 30 } });
  });
});

describe('edit host flow', () => {
  const hvBId = (store: FerryStore) => Object.values(store.getState().inventory.hosts).find((h) => h.record.name === 'hvB')!.record.id;

  it('opens the saved host in the form and saves a new name and NIC role without a test', async () => {
    const { store, api } = await setup();
    const id = hvBId(store);
    store.getState().openEditHost(id);
    const d = dialog(store);
    expect(d.edit?.hostId).toBe(id);
    expect(d.fields).toMatchObject({ name: 'hvB', port: '22' });
    const nic = store.getState().inventory.hosts[id]!.facts!.nics[0]!;
    store.getState().editHostField('name', 'hvB-renamed');
    store.getState().editHostField('nicRoles', { [nic.name]: 'other' });
    await store.getState().saveHost();
    expect(store.getState().dialog).toBeNull();
    expect(store.getState().inventory.hosts[id]?.record).toMatchObject({ name: 'hvB-renamed', nicRoles: { [nic.name]: 'other' } });
    // What main holds (a reload reads it from there).
    const listed = await api.invoke(hostsList, {});
    const saved = listed.ok ? listed.value.find((h) => h.record.id === id) : undefined;
    expect(saved?.facts?.nics.find((n) => n.name === nic.name)?.role).toBe('other');
    expect(saved?.record).toMatchObject({ name: 'hvB-renamed', nicRoles: { [nic.name]: 'other' } });
    expect(store.getState().notices.at(-1)?.message).toBe('Saved the changes to hvB-renamed.');
  });

  it('needs a passing test before saving a changed address or port, and keeps its own name free', async () => {
    const { store } = await setup();
    const id = hvBId(store);
    store.getState().openEditHost(id);
    store.getState().editHostField('port', '2222');
    await store.getState().saveHost();
    expect(dialog(store).phase).toBe('editing'); // nothing sent: the connection changed and was not tested
    expect(store.getState().inventory.hosts[id]?.record.port).toBe(22);
    await store.getState().testConnection();
    expect(dialog(store).errors.name).toBeUndefined(); // "hvB" is its own name, not a duplicate
    expect(dialog(store).outcome?.outcome).toBe('host-key-unknown'); // a new port is a new host key entry to trust
    await store.getState().trustPresentedKey();
    expect(dialog(store).outcome?.outcome).toBe('ok');
    await store.getState().saveHost();
    expect(store.getState().dialog).toBeNull();
    expect(store.getState().inventory.hosts[id]?.record.port).toBe(2222);
  });

  it('refuses another host’s name and shows an unreachable new address as an error', async () => {
    const { store } = await setup();
    store.getState().openEditHost(hvBId(store));
    store.getState().editHostField('name', 'hvA');
    await store.getState().testConnection();
    expect(dialog(store).errors.name).toMatch(/already in Ferry/);
    store.getState().editHostField('name', 'hvB');
    store.getState().editHostField('address', '10.99.0.1');
    await store.getState().testConnection();
    expect(dialog(store).error).toMatchObject({ code: 'ssh.unreachable' });
    await store.getState().saveHost();
    expect(dialog(store).edit).toBeDefined();
  });
});
