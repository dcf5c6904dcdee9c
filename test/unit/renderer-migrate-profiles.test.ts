// The migrate dialog's saved profiles and final statistics, in the renderer: the store saves and removes profiles
// through the contract (the dev fake decides with the same pure rules as main), the dialog's name check, the disk
// list field, and the final figures of an ended migration (libvirt's completed job, never the last running sample).
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore } from '../../renderer/src/store';
import { checkProfileName } from '../../renderer/src/store/migrationProfiles';
import { finalStatistics, historyFinals } from '../../renderer/src/features/migrate/runView';
import { ADVANCED_OPTIONS, parseDiskList, shows } from '../../renderer/src/features/migrate/optionsView';
import type { MigrationRun } from '../../renderer/src/store/migrationPort';
import type { FerryApi } from '../../renderer/src/store/ports';
import { profilesList } from '../../shared/ipc/contract';
import { err, ok } from '../../shared/result';
import { BUILT_IN_PROFILES, VIRSH_OPTION_NAMES, type MigrationOptionKey } from '../../shared/migration/options';

const tick = () => new Promise((r) => setTimeout(r, 0));

async function dialog() {
  const api = createFakeApi({ latencyMs: 0, vmsPerHost: [2, 1, 1], tickMs: 0 });
  const store = createFerryStore(api, { infoNoticeMs: 0 });
  store.getState().watchInventory();
  store.getState().watchMigrations();
  await tick();
  const [a, b] = Object.keys(store.getState().inventory.hosts);
  const vm = store.getState().inventory.hosts[a!]!.vms![0]!.name;
  store.getState().openMigrate(`${a}/${vm}`, b);
  return store;
}

describe('saved profiles in the migrate dialog', () => {
  it('saves the dialog’s options under a name, shows it as the chosen profile, and offers it in the list after the built-ins', async () => {
    const store = await dialog();
    store.getState().setMigrateOption('dname', 'vm1-moved');
    store.getState().setMigrateOption('bandwidthMiBps', 40);
    const r = await store.getState().saveProfile('Night copy', false);
    expect(r.ok && r.value).toMatchObject({ id: 'night-copy', builtIn: false });
    const m = store.getState().migration;
    expect(m.profiles.map((p) => p.name)).toEqual(['Fast LAN', 'WAN + TLS', 'Night copy']);
    expect(m.draft?.profileId).toBe('night-copy');
    // Another profile, then back: the saved options come back as they were.
    store.getState().chooseProfile('fast-lan');
    expect(store.getState().migration.draft?.options.dname).toBeUndefined();
    store.getState().chooseProfile('night-copy');
    expect(store.getState().migration.draft?.options).toMatchObject({ dname: 'vm1-moved', bandwidthMiBps: 40, live: true, p2p: true });
    expect(store.getState().migration.draft?.commandLine).toContain("'--dname' 'vm1-moved'");
  });

  it('asks before replacing, refuses a built-in name and options with errors, and removes a profile', async () => {
    const store = await dialog();
    await store.getState().saveProfile('Mine', false);
    store.getState().setMigrateOption('bandwidthMiBps', 12);
    const clash = await store.getState().saveProfile('mine', false);
    expect(clash.ok ? 'saved' : clash.error.code).toBe('inventory.duplicate');
    expect((await store.getState().saveProfile('mine', true)).ok).toBe(true);
    expect(store.getState().migration.profiles.filter((p) => !p.builtIn).map((p) => [p.name, p.options.bandwidthMiBps])).toEqual([['mine', 12]]);

    const builtIn = await store.getState().saveProfile('Fast LAN', true);
    expect(builtIn.ok ? 'saved' : builtIn.error.message).toMatch(/built-in profile and cannot be overwritten/);
    store.getState().setMigrateOption('tunnelled', true);
    store.getState().setMigrateOption('parallel', true);
    const invalid = await store.getState().saveProfile('broken', false);
    expect(invalid.ok ? 'saved' : invalid.error.message).toMatch(/was not saved: .*cannot use parallel connections/);

    store.getState().chooseProfile('mine');
    expect((await store.getState().removeProfile('mine')).ok).toBe(true);
    expect(store.getState().migration.profiles).toEqual(BUILT_IN_PROFILES);
    expect(store.getState().migration.draft).toMatchObject({ profileId: null, options: { bandwidthMiBps: 12 } });
    const builtInRemove = await store.getState().removeProfile('wan-tls');
    expect(builtInRemove.ok ? 'removed' : builtInRemove.error.message).toMatch(/cannot be removed/);
  });

  it('keeps what main met reading the saved profiles (a torn file kept aside) for the dialog, with the built-in profiles', async () => {
    const fake = createFakeApi({ latencyMs: 0, vmsPerHost: [1, 1, 1], tickMs: 0 });
    const torn = { code: 'inventory.corrupt' as const, message: 'Ferry’s saved migration profiles could not be used because it is not valid JSON. The file was kept as /d/profiles.json.corrupt-x.' };
    const api: FerryApi = {
      ...fake,
      invoke: ((def, input) => (def.id === profilesList.id ? Promise.resolve(ok({ profiles: [...BUILT_IN_PROFILES], problems: [torn] })) : fake.invoke(def, input))) as FerryApi['invoke'],
    };
    const store = createFerryStore(api, { infoNoticeMs: 0 });
    expect(store.getState().migration.profileProblems).toEqual([]);
    store.getState().watchMigrations();
    await tick();
    expect(store.getState().migration.profileProblems).toEqual([torn]);
    expect(store.getState().migration.profiles).toEqual(BUILT_IN_PROFILES);
  });

  it('offers the built-in profiles and says why when the saved ones cannot be loaded', async () => {
    const fake = createFakeApi({ latencyMs: 0, vmsPerHost: [1, 1, 1], tickMs: 0 });
    const down = { code: 'ipc.transport' as const, message: 'The connection to Ferry’s core was lost.' };
    const api: FerryApi = { ...fake, invoke: ((def, input) => (def.id === profilesList.id ? Promise.resolve(err(down)) : fake.invoke(def, input))) as FerryApi['invoke'] };
    const store = createFerryStore(api, { infoNoticeMs: 0 });
    store.getState().watchMigrations();
    await tick();
    expect(store.getState().migration.profiles).toEqual(BUILT_IN_PROFILES);
    expect(store.getState().migration.profileProblems).toEqual([{ code: 'ipc.transport', message: 'Saved profiles could not be loaded: The connection to Ferry’s core was lost.' }]);
  });

  it('checks a typed name before anything is sent: empty, a built-in one, one that replaces, a new one', () => {
    const mine = { id: 'night', name: 'Night', description: '', builtIn: false, options: {} };
    const all = [...BUILT_IN_PROFILES, mine];
    expect(checkProfileName('  ', all)).toEqual({ kind: 'empty' });
    expect(checkProfileName('wan + tls', all)).toEqual({ kind: 'built-in', name: 'WAN + TLS' });
    expect(checkProfileName('fast-lan', all)).toEqual({ kind: 'built-in', name: 'Fast LAN' });
    expect(checkProfileName('NIGHT', all)).toEqual({ kind: 'replaces', existing: mine });
    expect(checkProfileName('Night 2', all)).toEqual({ kind: 'new', id: 'night-2' });
  });
});

describe('the options form', () => {
  it('reads the disks to copy as a list, separated by spaces or commas; nothing means every writable disk', () => {
    expect(parseDiskList('vda vdb')).toEqual(['vda', 'vdb']);
    expect(parseDiskList(' vda,vdb ,  sdc ')).toEqual(['vda', 'vdb', 'sdc']);
    expect(parseDiskList(' , ')).toBeUndefined();
  });

  it('shows a dependent setting when its parent is on, or when it is set anyway (so a flagged value can be cleared)', () => {
    expect(shows({}, 'autoConverge', 'autoConvergeInitial')).toBe(false);
    expect(shows({ autoConverge: true }, 'autoConverge', 'autoConvergeInitial')).toBe(true);
    expect(shows({ autoConvergeInitial: 30 }, 'autoConverge', 'autoConvergeInitial')).toBe(true);
  });

  it('puts only real options in the Advanced fold', () => {
    expect(ADVANCED_OPTIONS.every((k: MigrationOptionKey) => k in VIRSH_OPTION_NAMES)).toBe(true);
  });
});

describe('final statistics of an ended migration', () => {
  const base: MigrationRun = {
    id: 'm1',
    vmName: 'vm1',
    sourceHostId: 'a',
    destinationHostId: 'b',
    sourceName: 'hvA',
    destinationName: 'hvB',
    startedAt: '2026-11-25T12:00:00.000Z',
    state: 'completed',
    options: {},
    // The last running sample: none of these is a final figure.
    samples: [{ t: 4, throughputMiBps: 30, dirtyMiBps: 1, remainingMiB: 3, downtimeMs: 900 }],
  };

  it('come from the completed job (total time, real downtime, data sent, their average rate), not the last sample', () => {
    const run = { ...base, totalMs: 4_733, downtimeMs: 38, dataSentBytes: 141_557_760 };
    expect(finalStatistics(run)).toEqual({
      items: [
        { label: 'Total time', value: '4.73 s' },
        { label: 'Real downtime', value: '38 ms' },
        { label: 'Data sent', value: '135.0 MiB' },
        { label: 'Average rate', value: '28.5 MiB/s' },
      ],
      note: undefined,
    });
    expect(historyFinals(run)).toEqual({ total: '4.73 s', downtime: '38 ms', data: '135.0 MiB' });
  });

  it('say which figures libvirt did not report, instead of showing a running sample as final', () => {
    const run = { ...base, totalMs: 5_000 };
    const f = finalStatistics(run);
    expect(f?.items.map((i) => i.value)).toEqual(['5 s', '—', '—', '—']);
    expect(f?.note).toBe('libvirt reported no downtime, data sent for the finished job (domjobinfo --completed), so they are not shown.');
    expect(historyFinals(run)).toEqual({ total: '5 s', downtime: '—', data: '—' });
  });

  it('are absent while it runs, and for a failed or aborted one that has none', () => {
    expect(finalStatistics({ ...base, state: 'running' })).toBeUndefined();
    expect(historyFinals({ ...base, state: 'running' })).toEqual({ total: 'running…', downtime: '', data: '' });
    expect(finalStatistics({ ...base, state: 'aborted' })).toBeUndefined();
    expect(finalStatistics({ ...base, state: 'failed', totalMs: 9_000 })?.items[0]).toEqual({ label: 'Total time', value: '9 s' });
  });
});
