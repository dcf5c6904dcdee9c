import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { createFerryStore } from '../../renderer/src/store';
import { dropRefusal, reduceRuns } from '../../renderer/src/store/migrationSlice';
import { chartSeries } from '../../renderer/src/features/migrate/chartData';
import { fakeRun } from '../../renderer/src/dev/fakeMigration';

const tick = () => new Promise((r) => setTimeout(r, 0));

async function setup() {
  const api = createFakeApi({ latencyMs: 0, vmsPerHost: [3, 2, 1], tickMs: 0 });
  const store = createFerryStore(api);
  store.getState().watchInventory();
  store.getState().watchMigrations();
  await tick();
  const [a, b] = Object.keys(store.getState().inventory.hosts);
  const vm = store.getState().inventory.hosts[a!]!.vms![0]!.name;
  return { api, store, a: a!, b: b!, vm };
}

describe('migrate from the renderer', () => {
  it('refuses a drop on the VM’s own host and on a host that is not connected, with the reason', async () => {
    const { store, a, b } = await setup();
    const hosts = store.getState().inventory.hosts;
    expect(dropRefusal(a, hosts[a])).toMatch(/already runs on/);
    expect(dropRefusal(a, hosts[b])).toBeNull();
    expect(dropRefusal(a, { ...hosts[b]!, connection: { state: 'unreachable', reason: 'No answer within 10 s.' } })).toMatch(/unreachable: No answer/);
  });

  it('opens the dialog pre-filled with the drop target and the default profile, and shows the exact command line', async () => {
    const { store, a, b, vm } = await setup();
    store.getState().openMigrate(`${a}/${vm}`, b);
    const d = store.getState().migration.draft!;
    expect(d).toMatchObject({ vmName: vm, destinationHostId: b, profileId: 'fast-lan', phase: 'editing' });
    expect(d.commandLine).toContain('migrate');
    expect(d.commandLine).toContain(`'--domain' '${vm}'`);
    expect(d.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('shows an invalid combination with its reason and marks the draft as custom', async () => {
    const { store, a, b, vm } = await setup();
    store.getState().openMigrate(`${a}/${vm}`, b);
    store.getState().setMigrateOption('tunnelled', true);
    store.getState().setMigrateOption('parallel', true);
    const d = store.getState().migration.draft!;
    expect(d.profileId).toBeNull();
    expect(d.problems.some((p) => p.severity === 'error' && p.options.includes('parallel'))).toBe(true);
  });

  it('starts after pre-flight, opens the run, and aborts it in one call', async () => {
    const { store, a, b, vm } = await setup();
    store.getState().openMigrate(`${a}/${vm}`, b);
    await store.getState().startMigration();
    await tick();
    const id = store.getState().migration.openRunId!;
    expect(store.getState().migration.draft).toBeNull();
    expect(store.getState().migration.runs[id]).toMatchObject({ vmName: vm, state: 'running' });
    await store.getState().controlMigration(id, { action: 'abort' });
    await tick();
    expect(store.getState().migration.runs[id]?.state).toBe('aborted');
  });

  it('keeps the dialog open with the failed pre-flight check and its fix', async () => {
    const { store, a, b, vm } = await setup();
    store.getState().openMigrate(`${a}/${vm}`, b);
    store.getState().chooseProfile('wan-tls');
    await store.getState().startMigration();
    const d = store.getState().migration.draft!;
    expect(d.phase).toBe('editing');
    expect(d.error?.message).toMatch(/Pre-flight failed: TLS certificates/);
    expect(d.preflight?.find((c) => c.status === 'fail')?.fix).toBeDefined();
  });

  it('appends samples to their run and keeps a 50,000-sample run to 500 points per series on the chart', () => {
    const runs = reduceRuns({}, { type: 'snapshot', runs: [{ id: 'm1', vmName: 'v', sourceHostId: 'a', destinationHostId: 'b', sourceName: 'A', destinationName: 'B', startedAt: 't', state: 'running', options: {}, samples: [] }] });
    const next = reduceRuns(runs, { type: 'sample', id: 'm1', sample: { t: 1, dirtyMiBps: 16 } });
    expect(next.m1?.samples).toHaveLength(1);
    const s = chartSeries(fakeRun(50_000, { kind: 'not-converging', hz: 10 }));
    expect(s.dirty.length).toBe(500);
    expect(s.throughput.length).toBe(500);
    expect(s.sampleCount).toBe(50_000);
  });
});

describe('migrations over the IPC contract', () => {
  it('keeps main’s record as it is (state, error) and maps samples to chart units', async () => {
    const { runHead, runSample } = await import('../../renderer/src/store/migrationContract');
    const record = {
      id: 'm-1', vm: 'vmd', source: { id: 'h1', name: 'hvA' }, destination: { id: 'h2', name: 'hvB' }, options: { live: true, bandwidthMiBps: 8 },
      commandLine: 'virsh migrate …', preflight: [], state: 'aborted' as const, startedAt: 1_000, endedAt: 9_000, result: { error: { code: 'libvirt.error' as const, message: 'operation aborted' } }, events: [],
    };
    expect(runHead(record)).toMatchObject({ vmName: 'vmd', sourceName: 'hvA', destinationName: 'hvB', state: 'aborted', error: { message: 'operation aborted' } });
    const s = runSample({ seq: 3, at: 4_000, latencyMs: 1, figures: { elapsedMs: 3_000, throughputBytesPerSecond: 8 * 1048576, dirtyRateBytesPerSecond: 4 * 1048576, remainingBytes: 20 * 1048576, iteration: 4, expectedDowntimeMs: 2800 } }, 1_000);
    expect(s).toEqual({ t: 3, throughputMiBps: 8, dirtyMiBps: 4, remainingMiB: 20, downtimeMs: 2800, iteration: 4, at: 4_000, postcopy: false });
  });

  it('has no dirty rate during the first pass (QEMU prints 0 until it has measured one), and keeps a measured 0 after it', async () => {
    const { runSample } = await import('../../renderer/src/store/migrationContract');
    const at = (iteration: number) =>
      runSample({ seq: 1, at: 2_000, latencyMs: 1, figures: { elapsedMs: 1_000, throughputBytesPerSecond: 8 * 1048576, dirtyRateBytesPerSecond: 0, remainingBytes: 200 * 1048576, iteration } }, 1_000);
    expect(at(1)?.dirtyMiBps).toBeUndefined();
    expect(at(1)?.throughputMiBps).toBe(8);
    expect(at(2)?.dirtyMiBps).toBe(0);
  });
});
